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
