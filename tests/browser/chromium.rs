//! Headless Chromium, driven from the command line: load a page, let its scripts run, then dump the
//! DOM or take a screenshot, and collect what the page wrote to its console.
//!
//! Chromium is Debian's `chromium` package (`.ci/run` installs it when it is missing); set
//! `KVSIM_CHROMIUM` to use another binary. The flags keep it off the network this machine does not
//! have (no background connections, no component updates) and away from any profile (a fresh
//! `--user-data-dir` per run). Every run is bounded in time and its process is killed if it hangs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one page load may take before the browser is killed.
const DEADLINE: Duration = Duration::from_secs(60);

/// What one headless run of Chromium left.
pub struct Page {
    /// The DOM after the page's scripts ran (`--dump-dom`), or empty for a screenshot.
    pub dom: String,
    /// What the page wrote to its console, and any uncaught error: one line each.
    pub console: Vec<String>,
}

/// The Chromium binary, or a panic saying how to install it.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("KVSIM_CHROMIUM") {
        return PathBuf::from(path);
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()) {
            let path = dir.join(name);
            if path.is_file() {
                return path;
            }
        }
    }
    panic!(
        "the browser tests need Chromium: `apt-get install -y chromium` (or set KVSIM_CHROMIUM \
         to a Chromium binary)"
    );
}

/// Runs Chromium headless on `url` with `extra` arguments, within the deadline.
fn run(url: &str, extra: &[String], scratch: &Path) -> Page {
    let profile = scratch.join("profile");
    std::fs::create_dir_all(&profile).unwrap();
    let mut child = Command::new(binary())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            // Lets timers and scripts run before the DOM is dumped or the screenshot taken.
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Chromium starts");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let err = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("Chromium did not finish loading {url} within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let dom = out.join().unwrap();
    let console = err
        .join()
        .unwrap()
        .lines()
        .filter(|line| line.contains(":CONSOLE") || line.contains("Uncaught"))
        .map(str::to_string)
        .collect();
    Page { dom, console }
}

/// The DOM of `url` once its scripts have run, and its console.
pub fn dump_dom(url: &str, scratch: &Path) -> Page {
    run(url, &["--dump-dom".to_string()], scratch)
}

/// A screenshot of `url`, `width` × `height` pixels, written to `png`; the page's console.
pub fn screenshot(url: &str, png: &Path, width: u32, height: u32, scratch: &Path) -> Page {
    run(
        url,
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size={width},{height}"),
            "--hide-scrollbars".to_string(),
        ],
        scratch,
    )
}

/// A `file://` URL for `path`, with an optional fragment.
pub fn file_url(path: &Path, fragment: &str) -> String {
    let path = path.canonicalize().unwrap();
    let mut url = format!("file://{}", path.display());
    if !fragment.is_empty() {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

/// How many distinct colours a PNG has, up to `enough`: a blank screenshot has one.
pub fn colours(png: &Path, enough: usize) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let bytes = &buf[..info.buffer_size()];
    let pixel = info.color_type.samples() * (info.bit_depth as usize / 8).max(1);
    let mut seen = std::collections::BTreeSet::new();
    for chunk in bytes.chunks(pixel) {
        seen.insert(chunk.to_vec());
        if seen.len() >= enough {
            break;
        }
    }
    seen.len()
}
