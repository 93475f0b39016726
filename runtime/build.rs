//! Links the runtime binaries as position-dependent executables (`-no-pie`).
//!
//! Start-up is part of what a runtime is judged on. As a PIE, the full `semarun` made
//! the dynamic loader apply about 30,000 relocations at every start, writing to each
//! page of the pointer tables its crates carry (595 KB): `semarun hello.semb` took
//! 0.5-0.75 ms longer than before the standard library; linked without PIE it is
//! within 0.15 ms (docs/performance.md). The cost is that the runtime's own image is
//! not placed at a random address (ASLR still randomizes the stack, the heap and the
//! shared libraries); docs/decisions.md records the trade. The code stays
//! position-independent, so only the link step changes, and only on Linux.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" {
        for bin in ["semarun", "semarun-std", "semarun-lite"] {
            println!("cargo:rustc-link-arg-bin={bin}=-no-pie");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
