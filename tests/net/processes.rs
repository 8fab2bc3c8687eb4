//! The process list, read from `/proc`: which processes carry a test's tag, whether one is alive,
//! and bounded waits, so that a test can prove it left nothing running.

use std::net::TcpListener;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The environment variable that tags a test's processes (children inherit it).
pub const TAG_VAR: &str = "KVSIM_NET_TEST";

/// A child that is killed if the test fails before it is waited for.
pub struct Tagged(pub Option<Child>);

impl Tagged {
    pub fn id(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: kill(2) touches no memory; the pid is our own child's, not yet reaped.
        let sent = unsafe { libc::kill(self.id() as libc::pid_t, signal) };
        assert_eq!(sent, 0, "the signal was sent");
    }

    /// Waits for the child to exit, for at most 20 s.
    pub fn wait(&mut self) -> ExitStatus {
        let child = self.0.as_mut().expect("not waited for yet");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().expect("waitable") {
                self.0 = None;
                return status;
            }
            assert!(Instant::now() < deadline, "the process did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Tagged {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `command` to the end, killing it and failing the test if it takes longer than `limit`.
pub fn wait_bounded(command: &mut Command, limit: Duration) -> Output {
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kvsim starts");
    let id = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(limit) {
        Ok(output) => output.expect("the output is readable"),
        Err(_) => {
            // SAFETY: as in `Tagged::signal`.
            unsafe { libc::kill(id as libc::pid_t, libc::SIGKILL) };
            panic!("kvsim took longer than {limit:?}");
        }
    }
}

/// The living (not zombie) processes whose environment carries `tag`.
pub fn living(tag: &str) -> Vec<u32> {
    let wanted = format!("{TAG_VAR}={tag}");
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let tagged = environ
            .split(|&b| b == 0)
            .any(|var| var == wanted.as_bytes());
        if tagged && is_alive(pid) {
            found.push(pid);
        }
    }
    found
}

/// Whether process `pid` exists and is not a zombie.
pub fn is_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name, which is in parentheses and may hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => false,
    }
}

/// Fails the test unless every process tagged `tag` is gone within 5 s.
pub fn assert_none_left(tag: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = living(tag);
        if left.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "processes left behind: {left:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `count` loopback ports that were free a moment ago.
pub fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("loopback binds"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("bound").port())
        .collect()
}

/// Waits (at most 10 s) until something accepts connections on `port`.
pub fn wait_until_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
