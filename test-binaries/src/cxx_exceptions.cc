// C++ exceptions: throws through 1000 recursive frames whose destructors must all run, catches
// by base class, rethrows (`throw;`) through more frames, nested and function-try blocks,
// std::exception_ptr carried from one thread to another, several threads unwinding at once,
// std::nested_exception, and the library's own exceptions (at, bad_cast, bad_alloc, stoi).
// Unwinding reads the .eh_frame tables and walks the guest stack with the guest's registers.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

static std::atomic<long> constructed{0}, destroyed{0};

struct Guard {
    long id;
    std::string name;
    explicit Guard(long i) : id(i), name("guard-" + std::to_string(i)) { constructed++; }
    ~Guard() { destroyed++; }
};

struct Base : std::runtime_error {
    int depth;
    Base(const std::string &what, int d) : std::runtime_error(what), depth(d) {}
};
struct Derived : Base {
    long payload;
    Derived(const std::string &what, int d, long p) : Base(what, d), payload(p) {}
};
struct Other : Base {
    using Base::Base;
};

// Each frame holds a Guard and a heap string; the bottom frame throws.
__attribute__((noinline)) long dive(int depth, int limit, long acc) {
    Guard g(depth);
    std::unique_ptr<std::string> s(new std::string(g.name));
    if (depth == limit) {
        throw Derived("bottom of " + *s, depth, acc);
    }
    long r = dive(depth + 1, limit, acc + depth * 3);
    return r + g.id;  // never reached when the bottom throws
}

// Catches in the middle of the stack, adds to the exception, rethrows with `throw;`.
__attribute__((noinline)) long middle(int depth, int limit) {
    Guard g(-depth);
    if (depth > 0) {
        return middle(depth - 1, limit) + 1;
    }
    try {
        return dive(0, limit, 0);
    } catch (Base &b) {
        b.depth += 1000000;
        throw;
    }
}

struct Thrower {
    int v;
    explicit Thrower(int x) try : v(x ? throw Other("ctor " + std::to_string(x), x) : 0) {
    } catch (const Other &o) {
        std::printf("function-try-block saw: %s\n", o.what());
    }  // rethrown implicitly
};

static void check_guards(const char *when) {
    std::printf("%s: constructed %ld destroyed %ld\n", when, constructed.load(), destroyed.load());
}

static std::exception_ptr from_thread(int k) {
    std::exception_ptr ep;
    std::thread t([&] {
        try {
            if (k % 2) {
                dive(0, 200 + k, k);
            } else {
                std::vector<int> v(3);
                (void)v.at(10 + k);
            }
        } catch (...) {
            ep = std::current_exception();
        }
    });
    t.join();
    return ep;
}

static void nested() {
    try {
        throw std::invalid_argument("inner");
    } catch (...) {
        std::throw_with_nested(std::runtime_error("outer"));
    }
}

static void print_nested(const std::exception &e, int level) {
    std::printf("%*snested level %d: %s\n", level * 2, "", level, e.what());
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception &inner) {
        print_nested(inner, level + 1);
    }
}

int main() {
    // 1. 1000 frames, caught by base class reference.
    try {
        dive(0, 1000, 0);
    } catch (const Base &b) {
        const Derived *d = dynamic_cast<const Derived *>(&b);
        std::printf("caught Base: %s depth=%d derived=%d payload=%ld\n", b.what(), b.depth, d != nullptr,
                    d ? d->payload : -1L);
    }
    check_guards("after 1000 frames");

    // 2. Rethrow through more frames; caught as std::exception.
    try {
        middle(300, 500);
    } catch (const std::exception &e) {
        const Base &b = dynamic_cast<const Base &>(e);
        std::printf("rethrown: %s depth=%d type-is-Derived=%d\n", e.what(), b.depth,
                    typeid(e) == typeid(Derived));
    }
    check_guards("after rethrow");

    // 3. Function-try-block in a constructor, a catch that does not match, catch (...).
    for (int i = 0; i < 3; i++) {
        try {
            try {
                Thrower t(i);
                std::printf("Thrower(%d) built, v=%d\n", i, t.v);
            } catch (const std::logic_error &) {
                std::printf("wrong handler\n");
            }
        } catch (...) {
            std::exception_ptr p = std::current_exception();
            try {
                std::rethrow_exception(p);
            } catch (const Other &o) {
                std::printf("caught Other depth=%d\n", o.depth);
            }
        }
    }

    // 4. exception_ptr from other threads, rethrown here.
    for (int k = 0; k < 4; k++) {
        std::exception_ptr ep = from_thread(k);
        try {
            std::rethrow_exception(ep);
        } catch (const Derived &d) {
            std::printf("thread %d: Derived %s payload=%ld\n", k, d.what(), d.payload);
        } catch (const std::out_of_range &) {
            std::printf("thread %d: out_of_range\n", k);
        }
    }
    check_guards("after threads");

    // 5. Threads unwinding at the same time.
    std::mutex m;
    std::map<int, long> results;
    std::vector<std::thread> ts;
    for (int k = 0; k < 4; k++) {
        ts.emplace_back([&, k] {
            long sum = 0;
            for (int rep = 0; rep < 50; rep++) {
                try {
                    dive(0, 100 + k * 10 + rep, rep);
                } catch (const Base &b) {
                    sum += b.depth;
                }
            }
            std::lock_guard<std::mutex> lock(m);
            results[k] = sum;
        });
    }
    for (auto &t : ts) t.join();
    for (auto &[k, v] : results) std::printf("concurrent %d: %ld\n", k, v);
    check_guards("after concurrent unwinding");

    // 6. Nested exceptions and the library's own.
    try {
        nested();
    } catch (const std::exception &e) {
        print_nested(e, 0);
    }
    try {
        std::stoi("not a number");
    } catch (const std::invalid_argument &e) {
        std::printf("stoi: invalid_argument\n");
    }
    try {
        std::exception &e = *new std::bad_exception();
        (void)dynamic_cast<std::runtime_error &>(e);
    } catch (const std::bad_cast &) {
        std::printf("bad_cast\n");
    }
    try {
        volatile size_t huge = ~(size_t)0 / 4;
        char *p = new char[huge];
        std::printf("allocated %p?\n", (void *)p);
    } catch (const std::bad_alloc &) {
        std::printf("bad_alloc\n");
    }
    std::printf("uncaught: %d\n", std::uncaught_exceptions());
    return constructed == destroyed ? 0 : 1;
}
