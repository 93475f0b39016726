//! The process allocator: the system allocator, with three additions.
//!
//! * Running out of memory ends the run with a clean error report and exit status 1
//!   instead of an abort signal, after writing out what the program printed so far.
//! * A memory limit (`semarun --max-memory`, `semac --macro-memory`): while one is set,
//!   every allocation is counted. The VM looks at the count between steps and raises
//!   a catchable error once it is over the limit; an allocation that would take it past
//!   the hard ceiling (the limit and a quarter more) ends the run at once, because one
//!   builtin call can allocate a lot without taking a step.
//! * Blocks of up to 136 bytes come from, and go back to, a per-thread list of freed
//!   blocks (`small_blocks`) before `System`.
//!
//! The report is written with a raw `write(2)` and the process leaves with `_exit`:
//! nothing on that path may allocate.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, AtomicPtr, AtomicUsize, Ordering::Relaxed};

use crate::small_blocks;

pub struct SemaAllocator;

const MESSAGE: &[u8] = b"Error: Eval error: out of memory\n";

/// The memory limit in bytes; 0 when there is none.
static LIMIT: AtomicUsize = AtomicUsize::new(0);
/// Bytes allocated and not freed since the limit was set (frees of older memory
/// make it smaller, never wrong by more than what was live then).
static IN_USE: AtomicIsize = AtomicIsize::new(0);
/// Who set the limit (a `&'static LimitOwner`, null when none was ever set).
static OWNER: AtomicPtr<LimitOwner> = AtomicPtr::new(std::ptr::null_mut());

/// Who set a memory limit: the option that raises it, and the report printed if an
/// allocation goes past the hard ceiling.
pub struct LimitOwner {
    pub flag: &'static str,
    pub ceiling_report: &'static str,
}

extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    fn _exit(status: i32) -> !;
}

#[cold]
fn out_of_memory(message: &[u8]) -> ! {
    crate::builtins::io::write_out_buffered_output();
    // SAFETY: writes a static buffer to stderr and ends the process; both calls are
    // async-signal-safe and touch no Rust state.
    unsafe {
        write(2, message.as_ptr(), message.len());
        _exit(1)
    }
}

/// Sets the memory limit to `bytes` (`None`: no limit) and starts counting from zero.
pub fn set_memory_limit(bytes: Option<usize>, owner: &'static LimitOwner) {
    OWNER.store(owner as *const LimitOwner as *mut LimitOwner, Relaxed);
    IN_USE.store(0, Relaxed);
    LIMIT.store(bytes.unwrap_or(0), Relaxed);
}

/// The option that raises the limit in force, for error messages.
pub fn memory_limit_flag() -> &'static str {
    owner().map_or("--max-memory", |o| o.flag)
}

fn owner() -> Option<&'static LimitOwner> {
    // SAFETY: the pointer is null or was made from a `&'static LimitOwner` by
    // `set_memory_limit`, so it is valid for ever.
    unsafe { OWNER.load(Relaxed).as_ref() }
}

/// Whether a limit is set and more than it is in use.
pub fn over_memory_limit() -> bool {
    let limit = LIMIT.load(Relaxed);
    limit != 0 && IN_USE.load(Relaxed) > limit as isize
}

/// The limit in bytes, if one is set.
pub fn memory_limit() -> Option<usize> {
    Some(LIMIT.load(Relaxed)).filter(|&l| l != 0)
}

/// Counts `delta` bytes against the limit, if one is set.
#[inline(always)]
fn account(delta: isize) {
    let limit = LIMIT.load(Relaxed);
    if limit != 0 {
        count(delta, limit);
    }
}

/// Out of line: with LTO the allocator is inlined into every allocation site, and
/// the counting inlined with it grew `semarun-lite` by a tenth.
#[inline(never)]
fn count(delta: isize, limit: usize) {
    let now = IN_USE.fetch_add(delta, Relaxed).saturating_add(delta);
    if delta > 0 && now > (limit + limit / 4) as isize {
        past_ceiling();
    }
}

#[cold]
fn past_ceiling() -> ! {
    LIMIT.store(0, Relaxed);
    out_of_memory(owner().map_or("Error: out of memory\n", |o| o.ceiling_report).as_bytes())
}

// SAFETY: a layout of a small-block class gets a block of that class
// (`small_blocks`: at least its size, and its alignment is at most the block's) and gives it
// back there; every other layout is forwarded to `System` with the same arguments. A
// null result (allocation failure) or going past the memory ceiling is diverted, to a
// report and `_exit`, which never return.
unsafe impl GlobalAlloc for SemaAllocator {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = match small_blocks::class_of(layout) {
            Some(class) => small_blocks::take(class),
            None => System.alloc(layout),
        };
        if ptr.is_null() {
            out_of_memory(MESSAGE);
        }
        account(layout.size() as isize);
        ptr
    }

    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = match small_blocks::class_of(layout) {
            Some(class) => {
                let block = small_blocks::take(class);
                if !block.is_null() {
                    std::ptr::write_bytes(block, 0, layout.size());
                }
                block
            }
            None => System.alloc_zeroed(layout),
        };
        if ptr.is_null() {
            out_of_memory(MESSAGE);
        }
        account(layout.size() as isize);
        ptr
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match small_blocks::class_of(layout) {
            Some(class) => small_blocks::give(ptr, class),
            None => System.dealloc(ptr, layout),
        }
        account(-(layout.size() as isize));
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
        let (old_class, new_class) = (small_blocks::class_of(layout), small_blocks::class_of(new_layout));
        let new = match (old_class, new_class) {
            // The block already has the new size's class: it is big enough.
            (Some(old), Some(new)) if old == new => ptr,
            (None, None) => System.realloc(ptr, layout, new_size),
            // Into or out of a class: a new block, the bytes, the old block given back.
            _ => {
                let new = match new_class {
                    Some(class) => small_blocks::take(class),
                    None => System.alloc(new_layout),
                };
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    match old_class {
                        Some(class) => small_blocks::give(ptr, class),
                        None => System.dealloc(ptr, layout),
                    }
                }
                new
            }
        };
        if new.is_null() {
            out_of_memory(MESSAGE);
        }
        account(new_size as isize - layout.size() as isize);
        new
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
