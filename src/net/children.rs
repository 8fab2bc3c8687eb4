//! Child processes that never outlive their parent: `kvsim cluster`'s replicas.
//!
//! Three ways a parent can go, three guards:
//!
//! - it returns, fails or panics: [`Children`] kills them all when it is dropped;
//! - it is asked to stop (Ctrl-C, SIGTERM): the cluster catches the signal, returns an error, and the
//!   drop above does the rest;
//! - it is killed outright (SIGKILL, or a crash that runs no destructor): on Linux each child asked
//!   the kernel at birth, through `prctl(PR_SET_PDEATHSIG, SIGKILL)` (the `libc` crate, the thinnest
//!   well-kept binding to it), to be killed when its parent dies, and checked that the parent had
//!   not already died before it asked.
//!
//! The children also share one process group of their own (the first child leads it), so that they
//! are killed with one `kill(-group)`, and so that a Ctrl-C typed at the terminal reaches the cluster
//! alone, which then stops them in order instead of having them die under it. `PR_SET_PDEATHSIG`
//! fires when the *thread* that spawned the child ends, so children must be spawned from a thread
//! that lives as long as the cluster: `kvsim cluster` spawns them from its main thread.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::NetError;
use crate::ids::ReplicaId;

/// Running children, each the process of one replica.
#[derive(Debug, Default)]
pub struct Children {
    children: Vec<(ReplicaId, Child)>,
    /// The process group they share: the first child's id.
    group: Option<u32>,
    /// Children asked to exit (crashed replicas), not checked any more.
    retired: Vec<Child>,
}

impl Children {
    /// Starts `command` as the process of replica `replica`.
    pub fn spawn(&mut self, replica: ReplicaId, mut command: Command) -> Result<(), NetError> {
        if self.children.is_empty() {
            // The group ends with its last member: a child started now leads a new one.
            self.group = None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(self.group.unwrap_or(0) as i32);
        }
        #[cfg(target_os = "linux")]
        die_with_parent(&mut command);
        let child = command
            .spawn()
            .map_err(|source| NetError::Spawn { replica, source })?;
        self.group.get_or_insert(child.id());
        self.children.push((replica, child));
        Ok(())
    }

    /// The process ids of the children, in the order they were started.
    pub fn ids(&self) -> Vec<u32> {
        self.children.iter().map(|(_, child)| child.id()).collect()
    }

    /// An error if any child has exited (before it was asked to).
    pub fn check(&mut self) -> Result<(), NetError> {
        for (replica, child) in &mut self.children {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(NetError::ChildExited {
                    replica: *replica,
                    status,
                });
            }
        }
        Ok(())
    }

    /// Replica `replica`'s process was asked to exit: it is no longer checked, and is reaped (or
    /// killed, if it has not exited by then) with the others.
    pub fn retire(&mut self, replica: ReplicaId) {
        if let Some(index) = self.children.iter().position(|(id, _)| *id == replica) {
            let (_, child) = self.children.remove(index);
            self.retired.push(child);
        }
    }

    /// Waits up to `grace` for every child to exit by itself, then kills what is left.
    pub fn wait_or_kill(&mut self, grace: Duration) {
        let deadline = Instant::now() + grace;
        for (_, child) in &mut self.children {
            while Instant::now() < deadline {
                match child.try_wait() {
                    Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                    Ok(Some(_)) | Err(_) => break,
                }
            }
        }
        self.kill_all();
    }

    /// Kills every child that is still running, and reaps them all.
    pub fn kill_all(&mut self) {
        #[cfg(unix)]
        if let Some(group) = self.group {
            // SAFETY: kill(2) with a negative pid signals a process group; it touches no memory.
            unsafe {
                libc_kill_group(group);
            }
        }
        let all = self.children.iter_mut().map(|(_, child)| child);
        for child in all.chain(&mut self.retired) {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
        self.children.clear();
        self.retired.clear();
        self.group = None;
    }
}

impl Drop for Children {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// Sends SIGKILL to process group `group`.
#[cfg(target_os = "linux")]
unsafe fn libc_kill_group(group: u32) {
    libc::kill(-(group as libc::pid_t), libc::SIGKILL);
}

/// Elsewhere each child is killed one by one (`Child::kill`).
#[cfg(all(unix, not(target_os = "linux")))]
unsafe fn libc_kill_group(_group: u32) {}

/// Asks the kernel to kill the child when this process dies.
#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id();
    // SAFETY: the closure runs in the child between fork and exec, and calls only prctl, getppid and
    // _exit, which are async-signal-safe; it allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent died between fork and prctl: the signal will never come.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}
