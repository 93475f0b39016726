//! Permissions: what a run may reach outside its own memory (the file system, the
//! environment, other processes), as `semarun --sandbox` / `--allow-*` grant it.
//!
//! Every builtin that reaches outside is listed in [`GATES`] with the capability it
//! needs and, where there is one, the argument naming the resource (a path, or an
//! environment variable). A run with the default policy installs the builtins as they
//! are and pays nothing; a restricted VM installs copies of the gated builtins that
//! carry their gates, and the VM checks them before the call (`Vm::restrict`).
//!
//! Paths are made absolute and canonical before they are compared with the allowed
//! directories, so neither `..` nor a symlink leads out of them. The check happens
//! before the operation: a file swapped for a symlink in between is not caught.

use std::path::{Component, Path, PathBuf};

use crate::error::{Error, Result};
use crate::value::Value;

/// A class of operations a policy allows or denies (the reference's capability names).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    FsRead,
    FsWrite,
    Shell,
    Process,
    EnvRead,
    EnvWrite,
    Network,
}

impl Capability {
    pub const ALL: [Capability; 7] = [
        Capability::FsRead,
        Capability::FsWrite,
        Capability::Shell,
        Capability::Process,
        Capability::EnvRead,
        Capability::EnvWrite,
        Capability::Network,
    ];

    /// The name `--sandbox` uses.
    pub fn name(self) -> &'static str {
        match self {
            Capability::FsRead => "fs-read",
            Capability::FsWrite => "fs-write",
            Capability::Shell => "shell",
            Capability::Process => "process",
            Capability::EnvRead => "env-read",
            Capability::EnvWrite => "env-write",
            Capability::Network => "network",
        }
    }

    /// The option that grants it.
    pub fn grant_flag(self) -> &'static str {
        match self {
            Capability::FsRead => "--allow-read",
            Capability::FsWrite => "--allow-write",
            Capability::Shell | Capability::Process => "--allow-run",
            Capability::EnvRead | Capability::EnvWrite => "--allow-env",
            Capability::Network => "--allow-net",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of capabilities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Capabilities(u8);

impl Capabilities {
    pub const NONE: Capabilities = Capabilities(0);

    pub fn all() -> Capabilities {
        Capability::ALL.iter().fold(Capabilities::NONE, |set, &c| set.with(c))
    }

    pub fn with(self, capability: Capability) -> Capabilities {
        Capabilities(self.0 | capability.bit())
    }

    pub fn contains(self, capability: Capability) -> bool {
        self.0 & capability.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Its members, in `Capability::ALL` order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::ALL.into_iter().filter(move |&c| self.contains(c))
    }
}

/// One check a gated builtin's call makes: the capability, and the argument (if any)
/// that names the resource: a path (or a list of paths) for the file system, a
/// variable's name for the environment.
#[derive(Clone, Copy, Debug)]
pub struct Gate {
    pub capability: Capability,
    pub resource: Option<usize>,
}

const fn on(capability: Capability, arg: usize) -> Gate {
    Gate { capability, resource: Some(arg) }
}

const fn whole(capability: Capability) -> Gate {
    Gate { capability, resource: None }
}

use Capability::{EnvRead, EnvWrite, FsRead, FsWrite, Process, Shell};

/// Every builtin that reaches outside the program, with its gates.
pub static GATES: &[(&str, &[Gate])] = &[
    ("file/read", &[on(FsRead, 0)]),
    ("file/read-bytes", &[on(FsRead, 0)]),
    ("file/read-lines", &[on(FsRead, 0)]),
    ("file/fold-lines", &[on(FsRead, 0)]),
    ("file/fold-lines-bytes", &[on(FsRead, 0)]),
    ("file/for-each-line", &[on(FsRead, 0)]),
    ("file/exists?", &[on(FsRead, 0)]),
    ("file/list", &[on(FsRead, 0)]),
    ("file/info", &[on(FsRead, 0)]),
    ("file/is-directory?", &[on(FsRead, 0)]),
    ("file/is-file?", &[on(FsRead, 0)]),
    ("file/is-symlink?", &[on(FsRead, 0)]),
    ("file/glob", &[on(FsRead, 0)]),
    ("path/canonicalize", &[on(FsRead, 0)]),
    ("stream/open-input", &[on(FsRead, 0)]),
    ("sema/check-file", &[on(FsRead, 0)]),
    ("%load-at-run-time", &[on(FsRead, 0)]),
    ("fs/watch", &[on(FsRead, 0)]),
    ("zip/list", &[on(FsRead, 0)]),
    ("pdf/extract-text", &[on(FsRead, 0)]),
    ("pdf/extract-text-pages", &[on(FsRead, 0)]),
    ("pdf/page-count", &[on(FsRead, 0)]),
    ("pdf/metadata", &[on(FsRead, 0)]),
    ("file/write", &[on(FsWrite, 0)]),
    ("file/write-bytes", &[on(FsWrite, 0)]),
    ("file/write-lines", &[on(FsWrite, 0)]),
    ("file/append", &[on(FsWrite, 0)]),
    ("file/delete", &[on(FsWrite, 0)]),
    ("file/mkdir", &[on(FsWrite, 0)]),
    ("file/copy", &[on(FsRead, 0), on(FsWrite, 1)]),
    ("file/rename", &[on(FsWrite, 0), on(FsWrite, 1)]),
    ("stream/open-output", &[on(FsWrite, 0)]),
    ("patch/apply-file", &[on(FsRead, 0), on(FsWrite, 0)]),
    ("zip/create", &[on(FsWrite, 0), on(FsRead, 1)]),
    ("tar/create", &[on(FsWrite, 0), on(FsRead, 1)]),
    ("zip/extract", &[on(FsRead, 0), on(FsWrite, 1)]),
    ("tar/extract", &[on(FsRead, 0), on(FsWrite, 1)]),
    ("db/open", &[on(FsRead, 0), on(FsWrite, 0)]),
    ("kv/open", &[on(FsRead, 0), on(FsWrite, 0)]),
    ("env", &[on(EnvRead, 0)]),
    ("sys/env-all", &[whole(EnvRead)]),
    ("sys/home-dir", &[whole(EnvRead)]),
    ("sys/config-dir", &[whole(EnvRead)]),
    ("sys/sema-home", &[whole(EnvRead)]),
    ("sys/temp-dir", &[whole(EnvRead)]),
    ("sys/user", &[whole(EnvRead)]),
    ("sys/which", &[whole(EnvRead)]),
    ("sys/set-env", &[on(EnvWrite, 0)]),
    ("shell", &[whole(Shell)]),
    ("proc/spawn", &[whole(Process)]),
    ("pty/spawn", &[whole(Process)]),
    ("git/root", &[whole(Process)]),
    ("git/current-branch", &[whole(Process)]),
    ("git/status", &[whole(Process)]),
    ("git/changed-files", &[whole(Process)]),
    ("git/diff", &[whole(Process)]),
    ("git/diff-files", &[whole(Process)]),
    ("git/recent-files", &[whole(Process)]),
    ("git/ignore-matches?", &[whole(Process)]),
];

/// The gates of the builtin called `name` (none for most).
pub fn gates_of(name: &str) -> &'static [Gate] {
    GATES.iter().find(|(n, _)| *n == name).map_or(&[], |(_, gates)| *gates)
}

/// Names that run code chosen at run time: a program naming one can reach anything.
const DYNAMIC_CODE: &[&str] = &["eval", "%load-at-run-time"];

/// What a program's code can reach (its capability manifest), from the names in its
/// symbol table: every gated builtin it names, by capability. A global is only ever
/// reached through a symbol of the table, so this cannot understate what a bundle
/// does (it may overstate: a quoted symbol counts as a use).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// A name that runs code chosen at run time (`eval`), if the program has one.
    pub dynamic: Option<&'static str>,
    /// Each capability needed, with the builtins that need it, in `Capability::ALL` order.
    pub needs: Vec<(Capability, Vec<&'static str>)>,
}

impl Reach {
    pub fn of(symbols: &[String]) -> Reach {
        // One pass over the symbols, marking the gated names and dynamic-code names met.
        let mut named = vec![false; GATES.len()];
        let mut dynamic = None;
        for symbol in symbols {
            if let Some(i) = GATES.iter().position(|(name, _)| name == symbol) {
                named[i] = true;
            } else if let Some(name) = DYNAMIC_CODE.iter().find(|name| *name == symbol) {
                dynamic = Some(*name);
            }
        }
        let mut needs: Vec<(Capability, Vec<&'static str>)> = Vec::new();
        for capability in Capability::ALL {
            let users: Vec<&'static str> = GATES
                .iter()
                .zip(&named)
                .filter(|((_, gates), named)| **named && gates.iter().any(|g| g.capability == capability))
                .map(|((name, _), _)| *name)
                .collect();
            if !users.is_empty() {
                needs.push((capability, users));
            }
        }
        Reach { dynamic, needs }
    }

    /// One line for `--info`.
    pub fn describe(&self) -> String {
        if let Some(name) = self.dynamic {
            return format!("everything (it uses {name}, which runs code chosen at run time)");
        }
        if self.needs.is_empty() {
            return "nothing outside the program".to_string();
        }
        let parts: Vec<String> =
            self.needs.iter().map(|(capability, users)| format!("{} ({})", capability.name(), users.join(", "))).collect();
        parts.join("; ")
    }

    /// What `policy` denies outright of what the program can reach (`--deny-early`):
    /// `None` when nothing, else a message listing it.
    pub fn denied_by(&self, policy: &Policy) -> Option<String> {
        if policy.is_unrestricted() {
            return None;
        }
        if let Some(name) = self.dynamic {
            return Some(format!("it uses {name} and may do anything, and the policy restricts it"));
        }
        let denied: Vec<String> = self
            .needs
            .iter()
            .filter(|(capability, _)| policy.denied.contains(*capability))
            .map(|(capability, users)| format!("{} (for {}; {})", capability.name(), users.join(", "), capability.grant_flag()))
            .collect();
        (!denied.is_empty()).then(|| format!("it needs {}, which the policy denies", denied.join("; ")))
    }
}

/// What a run may do. The default allows everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    denied: Capabilities,
    /// When set, reads only under these canonical directories (or files).
    read_roots: Option<Vec<PathBuf>>,
    /// When set, writes only under these.
    write_roots: Option<Vec<PathBuf>>,
    /// When set, only these environment variables.
    env_names: Option<Vec<String>>,
}

impl Policy {
    pub fn allow_all() -> Policy {
        Policy::default()
    }

    pub fn is_unrestricted(&self) -> bool {
        *self == Policy::default()
    }

    /// What compile-time code may do: read files under `dir`, nothing else.
    pub fn read_only_under(dir: &Path) -> Policy {
        let denied = Capability::ALL.iter().filter(|&&c| c != FsRead).fold(Capabilities::NONE, |s, &c| s.with(c));
        Policy { denied, read_roots: Some(vec![canonical_root(dir)]), write_roots: None, env_names: None }
    }

    /// The capabilities this policy denies outright.
    pub fn denied(&self) -> Capabilities {
        self.denied
    }

    /// A one-line description for `--info` and messages.
    pub fn describe(&self) -> String {
        if self.is_unrestricted() {
            return "everything allowed".to_string();
        }
        let mut parts = Vec::new();
        for capability in Capability::ALL {
            let roots = match capability {
                FsRead => self.read_roots.as_ref(),
                FsWrite => self.write_roots.as_ref(),
                _ => None,
            };
            let state = if self.denied.contains(capability) {
                "denied".to_string()
            } else if let Some(roots) = roots {
                let shown: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
                format!("under {}", shown.join(","))
            } else if let (EnvRead | EnvWrite, Some(names)) = (capability, &self.env_names) {
                format!("only {}", names.join(","))
            } else {
                "allowed".to_string()
            };
            parts.push(format!("{} {state}", capability.name()));
        }
        parts.join("; ")
    }

    /// Checks a call of `function` with `args` against its `gates`.
    pub fn check(&self, function: &str, gates: &[Gate], args: &[Value]) -> Result<()> {
        for gate in gates {
            let capability = gate.capability;
            if self.denied.contains(capability) {
                return Err(denied(function, capability));
            }
            let resources = gate.resource.and_then(|i| args.get(i)).map(resource_names).unwrap_or_default();
            match capability {
                FsRead | FsWrite => {
                    let roots = if capability == FsRead { &self.read_roots } else { &self.write_roots };
                    for path in &resources {
                        if capability == FsRead && crate::assets::exists(path) {
                            continue;
                        }
                        self.check_path(function, capability, roots.as_deref(), path)?;
                    }
                }
                EnvRead | EnvWrite => {
                    let Some(names) = &self.env_names else { continue };
                    if gate.resource.is_none() {
                        return Err(denied_all_env(function, capability));
                    }
                    if let Some(name) = resources.iter().find(|name| !names.contains(name)) {
                        return Err(denied_name(function, capability, name));
                    }
                }
                Shell | Process | Capability::Network => {}
            }
        }
        Ok(())
    }

    fn check_path(&self, function: &str, capability: Capability, roots: Option<&[PathBuf]>, path: &str) -> Result<()> {
        let target = canonical_target(Path::new(path));
        // The environment is also readable as a file; it stays behind --allow-env.
        if capability == FsRead && is_proc_environ(target.as_deref()) && (self.denied.contains(EnvRead) || self.env_names.is_some()) {
            return Err(denied(function, EnvRead));
        }
        let Some(roots) = roots else { return Ok(()) };
        match target {
            Some(target) if roots.iter().any(|root| target.starts_with(root)) => Ok(()),
            target => Err(denied_path(function, capability, path, target.as_deref())),
        }
    }
}

/// The strings an argument names: a string, or each string of a list or vector.
/// Anything else is left to the builtin, which reports the type error.
fn resource_names(arg: &Value) -> Vec<String> {
    match arg {
        Value::Str(s) => vec![s.to_string()],
        Value::List(_) | Value::Vector(_) => arg
            .seq_items()
            .map(|items| items.iter().filter_map(|v| v.expect_str().ok().map(str::to_string)).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The absolute, canonical path `path` means: the longest part that exists is
/// resolved (symlinks included), the rest appended. `None` when the part that does
/// not exist yet contains `..` (its meaning depends on what will be created).
fn canonical_target(path: &Path) -> Option<PathBuf> {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(canonical) = std::fs::canonicalize(existing) {
            let mut target = canonical;
            for part in rest.iter().rev() {
                target.push(part);
            }
            return Some(target);
        }
        let name = existing.file_name()?;
        if existing.components().next_back() == Some(Component::ParentDir) {
            return None;
        }
        rest.push(name.to_os_string());
        existing = existing.parent()?;
    }
}

/// A directory given on the command line, canonical when it exists.
pub fn canonical_root(path: &Path) -> PathBuf {
    canonical_target(path).unwrap_or_else(|| path.to_path_buf())
}

fn is_proc_environ(target: Option<&Path>) -> bool {
    target.is_some_and(|t| t.starts_with("/proc") && t.file_name().is_some_and(|n| n == "environ"))
}

fn denied(function: &str, capability: Capability) -> Error {
    let message = format!(
        "Permission denied: {function} requires '{}' capability (grant it with {})",
        capability.name(),
        capability.grant_flag()
    );
    Error::permission_denied(function, capability.name(), message)
}

fn denied_path(function: &str, capability: Capability, path: &str, target: Option<&Path>) -> Error {
    let shown = target.map_or_else(|| path.to_string(), |t| t.display().to_string());
    let message = format!(
        "Permission denied: {function} — path '{shown}' is outside allowed directories (grant it with {}=DIR)",
        capability.grant_flag()
    );
    Error::permission_denied(function, capability.name(), message)
}

fn denied_name(function: &str, capability: Capability, name: &str) -> Error {
    let message = format!("Permission denied: {function} — environment variable '{name}' is not allowed (grant it with --allow-env={name})");
    Error::permission_denied(function, capability.name(), message)
}

fn denied_all_env(function: &str, capability: Capability) -> Error {
    let message = format!("Permission denied: {function} reads the whole environment (grant it with --allow-env)");
    Error::permission_denied(function, capability.name(), message)
}

/// Builds a policy from command-line options, in any order.
#[derive(Default)]
pub struct PolicyOptions {
    sandboxed: Capabilities,
    allowed_paths: Option<Vec<PathBuf>>,
    /// Set once any `--allow-*` is given: everything not granted is denied.
    granted: Option<Capabilities>,
    read_roots: Option<Vec<PathBuf>>,
    write_roots: Option<Vec<PathBuf>>,
    env_names: Option<Vec<String>>,
}

impl PolicyOptions {
    /// Takes one option if it is a permission option: `Ok(true)` when it was.
    /// `value` is its `=VALUE` part, if any.
    pub fn take(&mut self, flag: &str, value: Option<&str>) -> std::result::Result<bool, String> {
        let list = |v: &str| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>();
        let paths = |v: &str| list(v).iter().map(|p| canonical_root(Path::new(p))).collect::<Vec<_>>();
        let needs_value = || format!("{flag} needs a value ({flag}=VALUE)");
        match flag {
            "--sandbox" => self.sandboxed = parse_sandbox(value.ok_or_else(needs_value)?)?,
            "--allowed-paths" => self.allowed_paths = Some(paths(value.ok_or_else(needs_value)?)),
            "--allow-read" => {
                self.grant(FsRead);
                self.read_roots = value.map(paths);
            }
            "--allow-write" => {
                self.grant(FsWrite);
                self.write_roots = value.map(paths);
            }
            "--allow-env" => {
                self.grant(EnvRead);
                self.grant(EnvWrite);
                self.env_names = value.map(list);
            }
            "--allow-run" | "--allow-net" if value.is_some() => return Err(format!("{flag} takes no value")),
            "--allow-run" => {
                self.grant(Shell);
                self.grant(Process);
            }
            "--allow-net" => self.grant(Capability::Network),
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn grant(&mut self, capability: Capability) {
        self.granted = Some(self.granted.unwrap_or_default().with(capability));
    }

    pub fn policy(self) -> Policy {
        let mut denied = self.sandboxed;
        if let Some(granted) = self.granted {
            denied = Capability::ALL.iter().filter(|&&c| !granted.contains(c)).fold(denied, |s, &c| s.with(c));
        }
        // --allowed-paths (the reference's) bounds reads and writes alike.
        let bound = |roots: Option<Vec<PathBuf>>| match (roots, &self.allowed_paths) {
            (Some(roots), _) => Some(roots),
            (None, allowed) => allowed.clone(),
        };
        Policy {
            denied,
            read_roots: bound(self.read_roots),
            write_roots: bound(self.write_roots),
            env_names: self.env_names,
        }
    }
}

/// `--sandbox=VALUE` as the reference reads it: `strict` (deny everything but reading
/// files and the environment), `all`, or a comma-separated list of capabilities
/// (each may be written `no-NAME`) to deny.
fn parse_sandbox(value: &str) -> std::result::Result<Capabilities, String> {
    let all = Capabilities::all();
    match value {
        "strict" => Ok(all.iter().filter(|&c| c != FsRead && c != EnvRead).fold(Capabilities::NONE, Capabilities::with)),
        "all" => Ok(all),
        list => {
            let mut denied = Capabilities::NONE;
            for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let name = part.strip_prefix("no-").unwrap_or(part);
                match Capability::ALL.iter().find(|c| c.name() == name) {
                    Some(&capability) => denied = denied.with(capability),
                    // The reference's capabilities for builtins this runtime does not have.
                    None if matches!(name, "llm" | "serial" | "none") => {}
                    None => return Err(format!("--sandbox: unknown capability: {name}")),
                }
            }
            Ok(denied)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(options: &[(&str, Option<&str>)]) -> Policy {
        let mut builder = PolicyOptions::default();
        for (flag, value) in options {
            assert_eq!(builder.take(flag, *value), Ok(true), "{flag}");
        }
        builder.policy()
    }

    #[test]
    fn every_gated_name_is_a_builtin() {
        crate::builtins::install_batteries();
        for (name, _) in GATES {
            assert!(crate::builtins::all().any(|b| b.name == *name), "{name} is gated but not a builtin");
        }
    }

    #[test]
    fn every_builtin_that_reaches_outside_is_gated() {
        crate::builtins::install_batteries();
        let outside = ["file/", "shell", "proc/spawn", "pty/spawn", "git/", "db/open", "kv/open", "zip/", "tar/", "fs/watch", "pdf/", "stream/open-", "sys/set-env", "sys/env-all"];
        for builtin in crate::builtins::all() {
            // These take a handle or text, not a path or a command.
            let exempt = ["shell/quote", "fs/watch-events", "db/open-memory"];
            if outside.iter().any(|prefix| builtin.name.starts_with(prefix)) && !exempt.contains(&builtin.name) {
                assert!(!gates_of(builtin.name).is_empty(), "{} reaches outside but has no gate", builtin.name);
            }
        }
    }

    #[test]
    fn sandbox_values_parse_as_the_reference_reads_them() {
        let strict = policy(&[("--sandbox", Some("strict"))]).denied();
        assert!(strict.contains(Shell) && strict.contains(FsWrite) && !strict.contains(FsRead) && !strict.contains(EnvRead));
        assert_eq!(policy(&[("--sandbox", Some("all"))]).denied(), Capabilities::all());
        let listed = policy(&[("--sandbox", Some("no-shell, fs-write,llm"))]).denied();
        assert_eq!(listed, Capabilities::NONE.with(Shell).with(FsWrite));
        let mut builder = PolicyOptions::default();
        assert_eq!(builder.take("--sandbox", Some("no-teleport")), Err("--sandbox: unknown capability: teleport".to_string()));
        assert_eq!(builder.take("--fuel", Some("1")), Ok(false));
    }

    #[test]
    fn any_allow_option_denies_what_it_does_not_grant() {
        let denied = policy(&[("--allow-read", None)]).denied();
        assert!(!denied.contains(FsRead));
        for c in [FsWrite, Shell, Process, EnvRead, EnvWrite, Capability::Network] {
            assert!(denied.contains(c), "{c:?}");
        }
        assert!(policy(&[]).is_unrestricted());
    }

    #[test]
    fn paths_are_compared_canonically() {
        let dir = std::env::temp_dir().join(format!("sema-permissions-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("inside")).unwrap();
        let _ = std::os::unix::fs::symlink("/etc", dir.join("inside/escape"));
        let policy = policy(&[("--allow-read", Some(dir.join("inside").to_str().unwrap()))]);
        let read = |path: PathBuf| policy.check("file/read", gates_of("file/read"), &[Value::str(path.to_string_lossy().into_owned())]);
        assert!(read(dir.join("inside/new-file")).is_ok());
        assert!(read(dir.join("inside/../outside")).is_err());
        assert!(read(dir.join("inside/escape/hostname")).is_err());
        assert!(read(dir.join("inside/missing/../../outside")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn reach_lists_what_the_names_need_and_eval_means_everything() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let reach = Reach::of(&names(&["println", "file/read", "shell", "file/copy", "x"]));
        assert_eq!(reach.describe(), "fs-read (file/read, file/copy); fs-write (file/copy); shell (shell)");
        let strict = policy(&[("--sandbox", Some("strict"))]);
        assert_eq!(
            reach.denied_by(&strict).unwrap(),
            "it needs fs-write (for file/copy; --allow-write); shell (for shell; --allow-run), which the policy denies"
        );
        assert_eq!(reach.denied_by(&Policy::allow_all()), None);
        assert_eq!(Reach::of(&names(&["println"])).describe(), "nothing outside the program");
        let dynamic = Reach::of(&names(&["eval"]));
        assert!(dynamic.describe().starts_with("everything"));
        assert!(dynamic.denied_by(&strict).is_some());
    }

    #[test]
    fn environment_names_can_be_listed() {
        let policy = policy(&[("--allow-env", Some("HOME,USER"))]);
        let env = |name: &str| policy.check("env", gates_of("env"), &[Value::str(name.to_string())]);
        assert!(env("HOME").is_ok());
        assert_eq!(env("SECRET").unwrap_err().message(), "Permission denied: env — environment variable 'SECRET' is not allowed (grant it with --allow-env=SECRET)");
        assert!(policy.check("sys/env-all", gates_of("sys/env-all"), &[]).is_err());
    }
}
