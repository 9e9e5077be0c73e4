//! The real binary in a pseudo-terminal started with a broken rules file
//! on disk: the screen opens with the last good rules version and says so
//! until the file is fixed, R opens the broken text, and an apply fixes
//! it; without any good version, the editor opens on it and no plan is
//! shown until it is fixed.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, CommandBuilder, PtySize};

const ROWS: u16 = 40;
const COLS: u16 = 120;

struct Session {
    screen: Arc<Mutex<vt100::Parser>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl Session {
    fn start(data_dir: &std::path::Path) -> Session {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_buyerdesk"));
        cmd.env("BUYERDESK_DATA_DIR", data_dir);
        cmd.env("XDG_CONFIG_HOME", data_dir.join("config-home"));
        cmd.env("TERM", "xterm-256color");
        cmd.cwd(data_dir);
        let child = pty.slave.spawn_command(cmd).expect("buyerdesk starts");
        drop(pty.slave);
        let screen = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let mut reader = pty.master.try_clone_reader().unwrap();
        let feed = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                feed.lock().unwrap().process(&buf[..n]);
            }
        });
        let writer = pty.master.take_writer().unwrap();
        Session {
            screen,
            writer,
            child,
            _master: pty.master,
        }
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    #[track_caller]
    fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.contents();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    #[track_caller]
    fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |s| s.contains(text))
    }

    fn keys(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn quit(mut self) {
        self.keys("q");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{status:?}");
                return;
            }
            assert!(Instant::now() < deadline, "buyerdesk did not end");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn cli(data_dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_buyerdesk"))
        .args(args)
        .env("BUYERDESK_DATA_DIR", data_dir)
        .env("XDG_CONFIG_HOME", data_dir.join("config-home"))
        .env("HOME", data_dir)
        .current_dir(data_dir)
        .output()
        .expect("buyerdesk runs");
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The shipped rules with the approval threshold at 50000, and a broken
/// copy (`<>` at the threshold's line), with that line (1-based).
fn raised_and_broken() -> (String, String, usize) {
    let shipped = buyerdesk::plan::DEFAULT_RULES;
    let raised = shipped.replace("Product.amount > 10000", "Product.amount > 50000");
    let broken = raised.replace("Product.amount > 50000", "Product.amount <> 50000");
    let line = broken.lines().position(|l| l.contains("<> 50000")).unwrap() + 1;
    (raised, broken, line)
}

/// In the editor, on the broken line: "<>" made ">" (from the line's end:
/// 8 characters back is "<> 50000").
fn fix_in_editor(s: &mut Session, line: usize) {
    s.keys(&"\x1b[B".repeat(line - 1));
    s.keys("\x1b[F");
    s.keys(&"\x7f".repeat(8));
    s.keys("> 50000");
    s.wait_for("Product.amount > 50000");
}

#[test]
fn a_broken_file_opens_with_the_last_good_version_and_r_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (raised, broken, line) = raised_and_broken();
    std::fs::write(d.join("raised.grl"), &raised).unwrap();
    cli(d, &["rules", "apply", "raised.grl"]);
    let path = d.join("purchasing.grl");
    std::fs::write(&path, &broken).unwrap();

    let mut s = Session::start(d);
    let screen = s.wait_for("RULES FILE BROKEN at");
    let banner = screen
        .lines()
        .find(|l| l.contains("RULES FILE BROKEN"))
        .unwrap();
    assert!(
        banner.contains(&format!("{}:{line}:", path.display())),
        "{banner}"
    );
    assert!(banner.contains("using version 2"), "{banner}");
    // The plan is there, made with version 2 (1: the embedded rules the
    // first apply replaced) (threshold 50000: PROD-002's
    // 21,274.39 needs no approval).
    s.wait_for("2000 products");
    s.keys("/PROD-002\r");
    let screen = s.wait_for("1 shown");
    let row = screen
        .lines()
        .find(|l| l.trim_start().starts_with("PROD-002"))
        .unwrap();
    assert!(!row.contains("APPR"), "{row}");
    // The banner stays while the buyer works.
    assert!(screen.contains("RULES FILE BROKEN"), "{screen}");

    s.keys("R");
    let screen = s.wait_for("The file on disk, broken");
    // Its error listed under the text, at its line.
    assert!(
        screen.contains(&format!("\n{line}:")) && screen.contains("`<>` is not an operator"),
        "{screen}"
    );
    fix_in_editor(&mut s, line);
    s.keys("\x13"); // Ctrl-S
    s.wait_for("Applied:");
    s.keys("\x1b");
    s.wait_until("the banner to go", |screen| {
        !screen.contains("RULES FILE BROKEN") && screen.contains("Demand/d")
    });
    assert_eq!(std::fs::read_to_string(&path).unwrap(), raised);
    s.quit();

    let history: serde_json::Value =
        serde_json::from_str(&cli(d, &["rules", "history", "--format", "json"])).unwrap();
    let versions = history.as_array().unwrap();
    assert_eq!(versions.len(), 3, "{history}");
    assert_eq!(versions[2]["how"], "applied in the app");
    assert_eq!(versions[2]["in_force"], true);
    let audit = cli(d, &["audit", "--format", "json"]);
    assert!(audit.contains("rules_broken_on_start"), "{audit}");
    assert!(
        audit.contains(&format!("purchasing.grl:{line}:")),
        "{audit}"
    );
}

#[test]
fn a_broken_file_without_a_good_version_opens_the_editor_and_no_plan() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (raised, broken, line) = raised_and_broken();
    std::fs::write(d.join("purchasing.grl"), &broken).unwrap();

    let mut s = Session::start(d);
    let screen = s.wait_for("no good version kept: no plan");
    assert!(screen.contains("The file on disk, broken"), "{screen}");
    assert!(screen.contains("Rules:"), "the editor is open:\n{screen}");
    // Leaving the editor: no plan behind it.
    s.keys("\x1b");
    s.wait_for("kept as a draft");
    // Long enough for the sources to answer and a plan to be made.
    std::thread::sleep(Duration::from_millis(1500));
    let screen = s.contents();
    assert!(!screen.contains("PROD-0"), "no plan:\n{screen}");
    s.keys("R");
    s.wait_for("Rules:");
    fix_in_editor(&mut s, line);
    s.keys("\x13");
    s.wait_for("Applied:");
    s.keys("\x1b");
    s.wait_for("2000 products");
    s.wait_until("no banner", |screen| !screen.contains("RULES FILE BROKEN"));
    assert_eq!(
        std::fs::read_to_string(d.join("purchasing.grl")).unwrap(),
        raised
    );
    s.quit();
}
