//! Freed small blocks, kept on the thread that freed them for its next allocation of
//! the same size class.
//!
//! Most of what a program allocates is small and short-lived: list cells, closures,
//! vectors of a few values, hash-map entries. glibc keeps only seven freed blocks per
//! size for a thread; beyond that a free and the next malloc take the arena's lock
//! (`alloc.rs` gives every thread the one arena) and walk its bins. A program that
//! builds a list of thousands of cells and drops it pays that on every cell. Here each
//! thread keeps up to [`KEEP`] freed blocks per size class, from 24 bytes up to 136,
//! pushed and popped without a lock or a search.
//!
//! A block of a class is always allocated with the class's whole size and alignment,
//! whatever the layout asked for, so any block of the class can serve any request of
//! it and `System` frees it with the layout it was made with. The blocks a thread
//! holds when it ends are not returned (at most `KEEP` of each class).
//!
//! mimalloc does this and more, but costs 131 KB of executable (the hello-world
//! executable must stay under 2 MB) and raised every run's peak memory from 4.6 to
//! 12 MiB (docs/performance.md).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr::null_mut;

/// Class `c` holds blocks of `24 + 16 * c` bytes, 24 to 136: the sizes whose glibc
/// chunk (the size and an 8-byte header, rounded up to 16) has no slack.
const SMALLEST: usize = 24;
const STEP: usize = 16;
const CLASSES: usize = 8;
const LARGEST: usize = SMALLEST + STEP * (CLASSES - 1);
/// Blocks are made with this alignment; a layout asking for more goes to `System`.
const ALIGN: usize = 8;
/// The most blocks a thread keeps per class: 2,048 blocks of every class are 1.3 MB.
const KEEP: u32 = 2048;

/// A thread's freed blocks of one class: a list threaded through the blocks' first
/// word.
struct FreeList {
    head: Cell<*mut u8>,
    len: Cell<u32>,
}

thread_local! {
    static FREE: [FreeList; CLASSES] = const {
        [const { FreeList { head: Cell::new(null_mut()), len: Cell::new(0) } }; CLASSES]
    };
}

/// The class serving `layout`, if a small block does.
#[inline(always)]
pub fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size();
    (size != 0 && size <= LARGEST && layout.align() <= ALIGN).then(|| size.saturating_sub(SMALLEST).div_ceil(STEP))
}

/// The layout every block of `class` is allocated with.
#[inline(always)]
pub fn class_layout(class: usize) -> Layout {
    // SAFETY: the alignment, 8, is a power of two, and the size is far below
    // isize::MAX.
    unsafe { Layout::from_size_align_unchecked(SMALLEST + STEP * class, ALIGN) }
}

/// A kept block of `class`, or a new one from `System` (null when it has none).
#[inline(always)]
pub fn take(class: usize) -> *mut u8 {
    let kept = FREE.try_with(|free| {
        let list = &free[class];
        let block = list.head.get();
        if !block.is_null() {
            // SAFETY: a block on the list is one `give` received: at least 24 bytes,
            // 8-aligned, owned by the list, its first word the next block.
            list.head.set(unsafe { *(block as *mut *mut u8) });
            list.len.set(list.len.get() - 1);
        }
        block
    });
    match kept {
        Ok(block) if !block.is_null() => block,
        // SAFETY: `class_layout` has a non-zero size.
        _ => unsafe { System.alloc(class_layout(class)) },
    }
}

/// Takes back a block of `class`: kept for reuse, or freed when the thread keeps
/// enough.
///
/// # Safety
/// `block` was allocated by [`take`] with the same class (on any thread) and is not
/// used afterwards.
#[inline(always)]
pub unsafe fn give(block: *mut u8, class: usize) {
    let kept = FREE.try_with(|free| {
        let list = &free[class];
        if list.len.get() >= KEEP {
            return false;
        }
        // SAFETY: the block is at least 24 bytes and 8-aligned (`class_layout`) and
        // now belongs to the list, which keeps the next pointer in its first word.
        unsafe { *(block as *mut *mut u8) = list.head.get() };
        list.head.set(block);
        list.len.set(list.len.get() + 1);
        true
    });
    if kept != Ok(true) {
        // SAFETY: the caller gives a block made by `take`, which used this layout.
        unsafe { System.dealloc(block, class_layout(class)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_sizes_up_to_136_with_word_alignment() {
        let class = |size, align| class_of(Layout::from_size_align(size, align).unwrap());
        assert_eq!(class(1, 1), Some(0));
        assert_eq!(class(24, 8), Some(0));
        assert_eq!(class(25, 8), Some(1));
        assert_eq!(class(40, 8), Some(1));
        assert_eq!(class(136, 8), Some(7));
        assert_eq!(class(137, 8), None);
        assert_eq!(class(0, 1), None);
        assert_eq!(class(32, 16), None);
        for c in 0..CLASSES {
            assert_eq!(class_of(class_layout(c)), Some(c));
            assert!(class_layout(c).size() >= std::mem::size_of::<*mut u8>());
        }
    }

    #[test]
    fn a_given_block_is_taken_again_and_the_list_is_bounded() {
        // On a fresh thread, so that no other test's blocks are on its lists.
        std::thread::spawn(|| {
            let a = take(2);
            assert!(!a.is_null());
            unsafe { give(a, 2) };
            assert_eq!(take(2), a, "the last block given is the first taken");
            let blocks: Vec<*mut u8> = (0..KEEP + 10).map(|_| take(3)).collect();
            for &block in &blocks {
                unsafe { give(block, 3) };
            }
            assert_eq!(FREE.with(|free| free[3].len.get()), KEEP);
            let again: Vec<*mut u8> = (0..KEEP).map(|_| take(3)).collect();
            assert!(again.iter().all(|block| blocks.contains(block)));
            assert_eq!(FREE.with(|free| free[3].len.get()), 0);
            for block in again.into_iter().chain([a]) {
                unsafe { give(block, if block == a { 2 } else { 3 }) };
            }
        })
        .join()
        .unwrap();
    }
}
