/* lists: pointer chasing: a singly linked list (build, reverse, merge-sort,
 * delete) and an unbalanced binary search tree (insert, in-order traversal,
 * height, lookup, free). */
#include <stdio.h>
#include <stdlib.h>

struct node {
    struct node *next;
    long value;
};

struct tree {
    struct tree *left, *right;
    unsigned key;
    unsigned count;
};

static unsigned rng_state = 12345;
static unsigned rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) & 0xffff;
}

static struct node *push(struct node *head, long v)
{
    struct node *n = malloc(sizeof *n);
    if (!n)
        abort();
    n->value = v;
    n->next = head;
    return n;
}

static struct node *reverse(struct node *head)
{
    struct node *prev = NULL;
    while (head) {
        struct node *next = head->next;
        head->next = prev;
        prev = head;
        head = next;
    }
    return prev;
}

static struct node *merge(struct node *a, struct node *b)
{
    struct node dummy, *tail = &dummy;
    while (a && b) {
        if (a->value <= b->value) {
            tail->next = a;
            a = a->next;
        } else {
            tail->next = b;
            b = b->next;
        }
        tail = tail->next;
    }
    tail->next = a ? a : b;
    return dummy.next;
}

static struct node *list_sort(struct node *head)
{
    if (!head || !head->next)
        return head;
    struct node *slow = head, *fast = head->next;
    while (fast && fast->next) {
        slow = slow->next;
        fast = fast->next->next;
    }
    struct node *second = slow->next;
    slow->next = NULL;
    return merge(list_sort(head), list_sort(second));
}

static struct node *remove_multiples(struct node *head, long k)
{
    struct node **pp = &head;
    while (*pp) {
        if ((*pp)->value % k == 0) {
            struct node *dead = *pp;
            *pp = dead->next;
            free(dead);
        } else {
            pp = &(*pp)->next;
        }
    }
    return head;
}

static void print_list(const char *what, struct node *n, int max)
{
    long sum = 0;
    int len = 0;
    printf("%s:", what);
    for (; n; n = n->next, len++) {
        if (len < max)
            printf(" %ld", n->value);
        sum += n->value;
    }
    printf(" ... (len %d, sum %ld)\n", len, sum);
}

static struct tree *insert(struct tree *t, unsigned key)
{
    struct tree **pp = &t;
    while (*pp) {
        if (key == (*pp)->key) {
            (*pp)->count++;
            return t;
        }
        pp = key < (*pp)->key ? &(*pp)->left : &(*pp)->right;
    }
    struct tree *n = calloc(1, sizeof *n);
    if (!n)
        abort();
    n->key = key;
    n->count = 1;
    *pp = n;
    return t;
}

static int height(const struct tree *t)
{
    if (!t)
        return 0;
    int l = height(t->left), r = height(t->right);
    return 1 + (l > r ? l : r);
}

static unsigned long walk_sum, walk_n;
static unsigned walk_prev;
static int walk_sorted = 1;
static void walk(const struct tree *t)
{
    if (!t)
        return;
    walk(t->left);
    if (walk_n && t->key <= walk_prev)
        walk_sorted = 0;
    walk_prev = t->key;
    if (walk_n < 12)
        printf(" %u(%u)", t->key, t->count);
    walk_n++;
    walk_sum += (unsigned long)t->key * t->count;
    walk(t->right);
}

static const struct tree *find(const struct tree *t, unsigned key)
{
    while (t && t->key != key)
        t = key < t->key ? t->left : t->right;
    return t;
}

static void free_tree(struct tree *t)
{
    if (!t)
        return;
    free_tree(t->left);
    free_tree(t->right);
    free(t);
}

int main(void)
{
    struct node *list = NULL;
    for (long i = 0; i < 2000; i++)
        list = push(list, (long)rng() - 32768);
    print_list("built", list, 8);
    list = reverse(list);
    print_list("reversed", list, 8);
    list = list_sort(list);
    print_list("sorted", list, 8);
    list = remove_multiples(list, 3);
    print_list("no multiples of 3", list, 8);
    while (list) {
        struct node *n = list->next;
        free(list);
        list = n;
    }

    struct tree *root = NULL;
    for (int i = 0; i < 5000; i++)
        root = insert(root, rng() % 3000);
    printf("tree height %d\nin-order:", height(root));
    walk(root);
    printf("\nnodes %lu, weighted sum %lu, sorted %d\n", walk_n, walk_sum, walk_sorted);
    unsigned found = 0;
    for (unsigned k = 0; k < 3000; k += 7)
        found += find(root, k) != NULL;
    printf("found %u of %u probes\n", found, 3000 / 7 + 1);
    free_tree(root);
    return 0;
}
