//! The report in a real browser: headless Chromium loads pages from `file://`, runs their scripts,
//! and the tests look at the DOM it leaves, what the page wrote to its console, and a screenshot.
//!
//! These first tests hold the harness itself to account — that it sees what a page's script did,
//! that it hears a console error, that a screenshot of a drawn page is not blank — so that the
//! report's tests can trust it.

mod chromium;
mod report;

use std::path::PathBuf;

use chromium::{colours, dump_dom, file_url, screenshot};

/// A scratch folder of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_harness_sees_what_a_script_did_and_what_it_logged() {
    let dir = scratch("harness");
    let page = dir.join("page.html");
    std::fs::write(
        &page,
        "<!doctype html><html><body><p id=p>before</p><script>\
         document.getElementById('p').textContent = 'after ' + location.hash;\
         console.error('boom');</script></body></html>",
    )
    .unwrap();
    let loaded = dump_dom(&file_url(&page, "x=1"), &dir);
    assert!(loaded.dom.contains("after #x=1"), "{}", loaded.dom);
    assert!(
        loaded.console.iter().any(|line| line.contains("boom")),
        "{:?}",
        loaded.console
    );
}

#[test]
fn a_screenshot_of_a_drawn_page_is_not_blank_and_of_an_empty_one_is() {
    let dir = scratch("screenshot");
    let drawn = dir.join("drawn.html");
    std::fs::write(
        &drawn,
        "<!doctype html><html><body style='margin:0'><svg width=400 height=300>\
         <rect x=10 y=10 width=200 height=100 fill='#c33'/><text x=20 y=200>kvsim</text>\
         </svg></body></html>",
    )
    .unwrap();
    let empty = dir.join("empty.html");
    std::fs::write(&empty, "<!doctype html><html><body></body></html>").unwrap();
    let png = dir.join("drawn.png");
    screenshot(&file_url(&drawn, ""), &png, 400, 300, &dir);
    assert!(colours(&png, 3) >= 3);
    let blank = dir.join("empty.png");
    screenshot(&file_url(&empty, ""), &blank, 400, 300, &dir);
    assert_eq!(colours(&blank, 3), 1);
}
