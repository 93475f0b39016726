//! The process allocator: the system allocator, except that running out of memory
//! ends the run with a clean error report and exit status 1 instead of an abort signal.
//!
//! The report is written with a raw `write(2)` and the process leaves with `_exit`:
//! nothing on that path may allocate.

use std::alloc::{GlobalAlloc, Layout, System};

pub struct SemaAllocator;

const MESSAGE: &[u8] = b"Error: Eval error: out of memory\n";

extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn _exit(status: i32) -> !;
}

#[cold]
fn out_of_memory() -> ! {
    // SAFETY: writes a static buffer to stderr and ends the process; both calls are
    // async-signal-safe and touch no Rust state.
    unsafe {
        write(2, MESSAGE.as_ptr(), MESSAGE.len());
        _exit(1)
    }
}

// SAFETY: every method forwards to `System` with the same arguments and returns its
// result unchanged; only a null result (allocation failure) is diverted.
unsafe impl GlobalAlloc for SemaAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc(layout);
        if ptr.is_null() {
            out_of_memory();
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = System.alloc_zeroed(layout);
        if ptr.is_null() {
            out_of_memory();
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let ptr = System.realloc(ptr, layout, new_size);
        if ptr.is_null() {
            out_of_memory();
        }
        ptr
    }
}

/// Makes every thread allocate from glibc's main malloc arena. By default a new thread
/// (the interpreter runs on one) gets its own arena, reserved with a 64 MiB `mmap`;
/// under an address-space limit (`ulimit -v`) that reservation fails, and glibc then
/// tries again, and fails, on every allocation: a million conses took 4.7 s instead of
/// 0.03 s. The interpreter is the only thread that allocates much, so one arena costs
/// nothing.
pub fn use_one_malloc_arena() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn mallopt(param: i32, value: i32) -> i32;
        }
        const M_ARENA_MAX: i32 = -8;
        // SAFETY: mallopt only sets a malloc tunable; it is called before the
        // interpreter thread exists, so no other thread is allocating.
        unsafe {
            mallopt(M_ARENA_MAX, 1);
        }
    }
}
