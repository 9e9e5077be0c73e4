//! The rule editor's rules versions panel (F9), the question before
//! applying over rules that changed since the editor began, and a screen
//! started with a broken rules file (the banner, R on the broken text, an
//! apply that fixes it; without a good version, no plan and the editor),
//! drawn into a TestBackend at 80x24 and 120x40.

use buyerdesk::live::BrokenRules;
use buyerdesk::plan::{self, fixtures, PlanContext, RuleSet};
use buyerdesk::store::rules_versions::{sha256_hex, short_diff, RulesVersion, VersionInfo};
use buyerdesk::tui::keys::action_for;
use buyerdesk::tui::{view, App};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

fn clock() -> chrono::DateTime<chrono::Local> {
    use chrono::TimeZone;
    chrono::Local
        .with_ymd_and_hms(2026, 11, 21, 10, 0, 0)
        .single()
        .unwrap()
}

/// The DOMAIN.md reference rows planned with the shipped rules, which are
/// in force.
fn reference_app() -> App {
    let plans = plan::plan_all(
        &plan::join(fixtures::reference_rows()),
        &PlanContext::default(),
        &RuleSet::embedded(),
    );
    let mut app = App::new(plans);
    app.now = clock();
    app.rules_text = RuleSet::embedded().text.to_string();
    app.rules_origin = "/data/purchasing.grl".into();
    app
}

fn render(app: &mut App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    terminal.backend().to_string()
}

fn press(app: &mut App, code: KeyCode, modifiers: KeyModifiers) {
    if let Some(action) = action_for(app, KeyEvent::new(code, modifiers)) {
        app.update(action);
    }
}

/// The words inside the popup whose top border holds `top`.
fn popup_words(screen: &str, top: &str) -> String {
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let (first, line) = (screen.lines().enumerate())
        .find(|(_, l)| l.contains(top))
        .unwrap_or_else(|| panic!("no popup {top:?} in:\n{screen}"));
    let left = line.chars().position(|c| c == '┌').unwrap();
    let right = left
        + 1
        + rows[first][left + 1..]
            .iter()
            .position(|&c| c == '┐')
            .unwrap();
    let mut text = String::new();
    for row in &rows[first + 1..] {
        if row[left] == '└' {
            break;
        }
        text.extend(&row[left + 1..right]);
        text.push(' ');
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn raised() -> String {
    let text = RuleSet::embedded()
        .text
        .replace("Product.amount > 10000", "Product.amount > 50000");
    assert_ne!(*text, *RuleSet::embedded().text);
    text
}

fn version(
    number: i64,
    text: &str,
    how: &str,
    summary: Option<&str>,
    previous: Option<&str>,
) -> RulesVersion {
    let rules = buyerdesk::rules::load(text, "v.grl").unwrap();
    RulesVersion {
        info: VersionInfo {
            number,
            at: format!("2026-11-2{number}T09:00:00Z"),
            user: if number == 2 { "bob" } else { "alice" }.into(),
            how: how.into(),
            origin: "/data/purchasing.grl".into(),
            sha256: sha256_hex(text),
            previous: previous.map(sha256_hex),
            rules: rules.rule_names.len() as i64,
            summary: summary.map(str::to_string),
        },
        text: text.to_string(),
    }
}

/// Three versions: the shipped rules, the raised threshold, the shipped
/// rules again (in force).
fn three_versions() -> Vec<RulesVersion> {
    let shipped = RuleSet::embedded().text.to_string();
    let raised = raised();
    vec![
        version(1, &shipped, "first seen at start", None, None),
        version(
            2,
            &raised,
            "applied in the app",
            Some("orders 3 -> 3, 1 of 4 products changed, 0 failing"),
            Some(&shipped),
        ),
        version(
            3,
            &shipped,
            "restored from 1",
            Some("orders 3 -> 3, 1 of 4 products changed, 0 failing"),
            Some(&raised),
        ),
    ]
}

/// The panel's row of a version: the line holding "<number>  2026-11-2<n>".
fn row_of<'a>(screen: &'a str, v: &VersionInfo) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(&format!("{}  {}", v.number, v.at)))
        .unwrap_or_else(|| panic!("no row for version {} in:\n{screen}", v.number))
}

#[test]
fn f9_lists_the_versions_and_enter_loads_one_to_restore() {
    let mut app = reference_app();
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    assert!(app.editor.is_some());
    press(&mut app, KeyCode::F(9), KeyModifiers::NONE);
    let request = app
        .rules_versions
        .wanted
        .take()
        .expect("asked of the live task");
    assert!(app.rules_versions.open);
    assert!(render(&mut app, 80, 24).contains("Reading the versions..."));

    // A stale answer is dropped; the answer to the request is shown,
    // newest first.
    app.versions_loaded(request + 7, Ok(Vec::new()));
    assert!(app.rules_versions.list.is_none());
    let versions = three_versions();
    app.versions_loaded(request, Ok(versions.clone()));

    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&mut app, w, h);
        assert!(
            screen.contains("Rules versions (Enter loads, Esc closes)"),
            "{screen}"
        );
        // The footer names the panel's keys: Esc closes it, it does not
        // leave the editor.
        let footer = screen.lines().last().unwrap();
        assert!(
            footer.contains("Esc close") && !footer.contains("Esc leave"),
            "{footer}"
        );
        for v in &versions {
            let row = row_of(&screen, &v.info);
            assert!(row.contains(&v.info.user), "{row}");
            assert!(
                row.contains(&format!(" {} ", v.info.rules)),
                "rule count: {row}"
            );
            assert!(row.contains(&v.info.how), "{row}");
            // The summary whole, on the line under the row.
            let under = screen.lines().skip_while(|l| *l != row).nth(1).unwrap();
            let summary = v.info.summary.as_deref().unwrap_or("(no dry run)");
            assert!(under.contains(summary), "{under}");
        }
        // The version in force (its hash is the rules text's) is marked;
        // only it.
        let marked: Vec<&str> = screen
            .lines()
            .filter(|l| l.contains("2026-11-2") && l.contains("│* "))
            .collect();
        assert_eq!(marked.len(), 1, "{screen}");
        assert!(marked[0].contains("3  2026-11-23"), "{screen}");
        let ordered: Vec<usize> = versions
            .iter()
            .map(|v| screen.find(row_of(&screen, &v.info)).unwrap())
            .collect();
        assert!(
            ordered[2] < ordered[1] && ordered[1] < ordered[0],
            "newest first"
        );
        insta::assert_snapshot!(format!("editor_versions_{w}x{h}"), screen);
    }

    // Down to version 2, Enter: its text in the editor, to try and apply.
    press(&mut app, KeyCode::Down, KeyModifiers::NONE);
    press(&mut app, KeyCode::Enter, KeyModifiers::NONE);
    assert!(!app.rules_versions.open);
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.text(), raised());
    assert!(editor.is_edited());
    assert_eq!(editor.in_force, app.rules_text, "the base stays");
    assert!(editor
        .status
        .as_deref()
        .unwrap()
        .contains("Version 2 loaded"));
    press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    let (text, confirmed) = app.rules_apply_wanted.take().expect("Ctrl-S applies");
    assert_eq!((text.as_str(), confirmed), (raised().as_str(), false));
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(
        editor.restored_from(&text),
        Some(2),
        "a restore of version 2"
    );
    assert_eq!(editor.restored_from("other"), None);

    // Esc closes the panel, not the editor.
    press(&mut app, KeyCode::F(9), KeyModifiers::NONE);
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(!app.rules_versions.open);
    assert!(app.editor.is_some());
}

#[test]
fn applying_over_rules_changed_since_the_editor_began_asks_with_the_difference() {
    let mut app = reference_app();
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    let base = app.rules_text.clone();
    let mine = base.replace("Product.amount > 10000", "Product.amount > 20000");
    app.editor = Some(buyerdesk::tui::screens::editor::RuleEditor::open(
        &mine,
        "/data/purchasing.grl",
        &base,
    ));
    press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(app.rules_apply_wanted.take(), Some((mine.clone(), false)));
    // The live task found other rules in force (the disk, another
    // workstation): what it answers.
    let newer = raised();
    let diff = short_diff(&base, &newer);
    assert!(diff.contains("-        Product.amount > 10000"), "{diff}");
    assert!(diff.contains("+        Product.amount > 50000"), "{diff}");
    app.rules_apply_over_newer(mine.clone(), diff.clone(), newer.clone());
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&mut app, w, h);
        let words = popup_words(&screen, "┌ The rules in force changed since you began");
        assert!(words.contains("- Product.amount > 10000"), "{screen}");
        assert!(words.contains("+ Product.amount > 50000"), "{screen}");
        assert!(words.contains("Apply yours over them?"), "{screen}");
        insta::assert_snapshot!(format!("editor_apply_over_newer_{w}x{h}"), screen);
    }
    // n: nothing applied, the edits kept.
    press(&mut app, KeyCode::Char('n'), KeyModifiers::NONE);
    assert_eq!(app.rules_apply_wanted, None);
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.text(), mine);
    assert!(editor
        .status
        .as_deref()
        .unwrap()
        .contains("changed since you began"));
    // Again, y: applied over them (the newer rules the base; the guard
    // still runs: not confirmed past it).
    app.rules_apply_over_newer(mine.clone(), diff, newer.clone());
    press(&mut app, KeyCode::Char('y'), KeyModifiers::NONE);
    assert_eq!(app.rules_apply_wanted, Some((mine, false)));
    assert_eq!(app.editor.as_ref().unwrap().in_force, newer);
}

fn broken_text() -> (String, usize) {
    let text = raised().replace("Product.amount > 50000", "Product.amount <> 50000");
    let line = text.lines().position(|l| l.contains("<> 50000")).unwrap() + 1;
    (text, line)
}

fn broken(version: Option<i64>) -> BrokenRules {
    let (text, line) = broken_text();
    let diagnostics = buyerdesk::rules::validate(&text, "/data/purchasing.grl");
    let first = diagnostics.iter().find(|d| d.is_error()).unwrap();
    assert_eq!(first.line, line);
    BrokenRules {
        path: "/data/purchasing.grl".into(),
        text,
        first_error: first.to_string(),
        at: format!("/data/purchasing.grl:{}:{}", first.line, first.col),
        version,
    }
}

#[test]
fn a_broken_file_on_disk_is_said_until_fixed_and_r_opens_it() {
    let mut app = reference_app();
    app.start_with_broken_rules(Some(broken(Some(3))));
    assert!(
        app.editor.is_none(),
        "the plan is shown, with the last good version"
    );
    let (text, line) = broken_text();
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = render(&mut app, w, h);
        let banner = screen
            .lines()
            .find(|l| l.contains("RULES FILE BROKEN"))
            .unwrap_or_else(|| panic!("{screen}"));
        assert!(
            banner.contains(&format!("/data/purchasing.grl:{line}:")),
            "{banner}"
        );
        assert!(banner.contains("using version 3"), "{banner}");
        insta::assert_snapshot!(format!("broken_rules_banner_{w}x{h}"), screen);
        assert!(screen.contains("PROD-001"), "the plan is there:\n{screen}");
    }
    // A message meanwhile takes the line; the banner comes back after it.
    app.message = Some("Refreshing".into());
    assert!(!render(&mut app, 120, 40).contains("RULES FILE BROKEN"));
    app.message = None;

    // R: the broken text, with its error at its line.
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.text(), text);
    assert_eq!(editor.origin, "/data/purchasing.grl");
    assert!(editor
        .diagnostics
        .iter()
        .any(|d| d.is_error() && d.line == line));
    assert!(editor.status.as_deref().unwrap().contains("broken"));
    // Fixed and applied: the banner goes.
    app.editor = Some(buyerdesk::tui::screens::editor::RuleEditor::open(
        &raised(),
        "/data/purchasing.grl",
        &app.rules_text,
    ));
    press(&mut app, KeyCode::Char('s'), KeyModifiers::CONTROL);
    assert_eq!(app.rules_apply_wanted.take(), Some((raised(), false)));
    app.rules_applied(Ok("/data/purchasing.grl: 7 rules".into()));
    assert!(app.rules_broken.is_none());
    press(&mut app, KeyCode::Esc, KeyModifiers::NONE);
    assert!(!render(&mut app, 120, 40).contains("RULES FILE BROKEN"));
}

#[test]
fn a_broken_file_without_a_good_version_opens_the_editor_and_no_plan() {
    let mut app = App::waiting();
    app.now = clock();
    app.rules_text = RuleSet::embedded().text.to_string();
    app.start_with_broken_rules(Some(broken(None)));
    assert!(app.without_rules());
    let editor = app.editor.as_ref().expect("the editor opens at once");
    assert_eq!(editor.text(), broken_text().0);
    let screen = render(&mut app, 120, 40);
    assert!(screen.contains("no good version kept: no plan"), "{screen}");
    // Applied: plans are taken again.
    app.rules_applied(Ok("/data/purchasing.grl: 7 rules".into()));
    assert!(!app.without_rules());
}

/// A draft kept from earlier wins over the broken file (edits are never
/// dropped), and the editor says that the broken file is not what it shows.
#[test]
fn r_with_a_draft_and_a_broken_file_shows_the_draft_and_says_so() {
    let mut app = reference_app();
    app.start_with_broken_rules(Some(broken(Some(3))));
    let draft = raised().replace("Product.amount > 50000", "Product.amount > 30000");
    app.rules_draft = Some(draft.clone());
    press(&mut app, KeyCode::Char('R'), KeyModifiers::SHIFT);
    let editor = app.editor.as_ref().unwrap();
    assert_eq!(editor.text(), draft);
    let status = editor.status.as_deref().unwrap();
    let (_, line) = broken_text();
    assert!(
        status.contains("not the broken file on disk")
            && status.contains(&format!("/data/purchasing.grl:{line}:")),
        "{status}"
    );
}
