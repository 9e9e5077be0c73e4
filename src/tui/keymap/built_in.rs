//! buyerdesk's own bindings, screen by screen: arrows and vim's hjkl both.

use super::*;

impl Keymap {
    pub fn built_in() -> Keymap {
        use crate::tui::screens::editor::EditorCommand as E;
        use Action as A;
        let move_keys = |help_up, help_down, footer| {
            vec![
                bind("up", A::Up, &["Up", "k"], help_up, footer),
                bind("down", A::Down, &["Down", "j"], help_down, footer),
            ]
        };
        // The keys that move the buyer's day forward, first in the footer.
        let select = |footer| {
            bind(
                "toggle_select",
                A::ToggleSelect,
                &["Space"],
                "select / unselect to order",
                footer,
            )
        };
        let draft = |footer| {
            bind(
                "draft_orders",
                A::DraftOrders,
                &["P"],
                "draft POs: selected, else all",
                footer,
            )
        };
        let orders_key = bind(
            "orders",
            A::OpenOrders,
            &["O"],
            "the purchase orders",
            Some("POs"),
        );
        let mut list = move_keys("up", "down", Some("move"));
        list.extend([select(Some("select")), draft(Some("draft")), orders_key]);
        list.extend([
            bind("page_up", A::PageUp, &["PageUp", "ctrl-b"], "page up", None),
            bind(
                "page_down",
                A::PageDown,
                &["PageDown", "ctrl-f"],
                "page down",
                None,
            ),
            bind("top", A::Top, &["Home", "g"], "first product", None),
            bind("bottom", A::Bottom, &["End", "G"], "last product", None),
            bind(
                "open_detail",
                A::OpenDetail,
                &["Enter", "l", "Right"],
                "why: the rationale",
                Some("why"),
            ),
            bind(
                "back",
                A::Back,
                &["Esc", "h", "Left"],
                "clear the message",
                None,
            ),
            bind(
                "filter",
                A::StartFilter,
                &["/"],
                "filter: text, abc: xyz: class:",
                Some("filter"),
            ),
            bind(
                "needs_order",
                A::Quick(QuickFilter::NeedsOrder),
                &["n"],
                "only those needing an order",
                Some(""),
            ),
            bind(
                "on_po",
                A::ToggleOnPo,
                &["D"],
                "n lists those on POs too",
                None,
            ),
            bind(
                "has_exceptions",
                A::Quick(QuickFilter::HasExceptions),
                &["!"],
                "only those with exceptions",
                Some(""),
            ),
            bind(
                "this_supplier",
                A::ToggleSupplierFilter,
                &["s"],
                "only this product's supplier",
                Some(""),
            ),
            bind(
                "clear_filter",
                A::ClearFilter,
                &["c"],
                "clear the filters",
                Some(""),
            ),
        ]);
        // Number keys sort by the list's columns, left to right.
        for (name, column, key) in [
            ("sort_product", Column::Product, "1"),
            ("sort_name", Column::Name, "2"),
            ("sort_supplier", Column::Supplier, "3"),
            ("sort_demand", Column::Demand, "4"),
            ("sort_available", Column::Available, "5"),
            ("sort_on_order", Column::OnOrder, "6"),
            ("sort_cover", Column::Cover, "7"),
            ("sort_order", Column::Order, "8"),
            ("sort_amount", Column::Amount, "9"),
            ("sort_attention", Column::Exceptions, "0"),
            ("sort_class", Column::Class, "C"),
        ] {
            list.push(bind(
                name,
                A::SortBy(column),
                &[key],
                column_name(column),
                None,
            ));
        }
        let override_ = bind(
            "override",
            A::OpenOverride,
            &["o"],
            "override the quantity",
            Some("override"),
        );
        let clear_override = |footer| {
            bind(
                "clear_override",
                A::ClearOverride,
                &["x"],
                "clear the override",
                footer,
            )
        };
        let refresh = bind(
            "refresh",
            A::Refresh,
            &["r"],
            "refresh every source now",
            None,
        );
        let sources = bind(
            "sources",
            A::ToggleSources,
            &["i"],
            "sources: state, age, errors",
            None,
        );
        let help = |keys: &[&str]| bind("help", A::ToggleHelp, keys, "this help", Some("help"));
        let quit = bind("quit", A::Quit, &["q"], "quit", Some("quit"));
        list.extend([
            override_.clone(),
            clear_override(Some("clear")),
            bind(
                "select_all_needed",
                A::SelectAllNeeded,
                &["a"],
                "select all needing an order",
                None,
            ),
            bind(
                "clear_selection",
                A::ClearSelection,
                &["u"],
                "unselect all",
                None,
            ),
            refresh.clone(),
            sources.clone(),
            bind(
                "rules",
                A::OpenEditor,
                &["R"],
                "edit the rules",
                Some("rules"),
            ),
            bind(
                "rules_in_editor",
                A::ExternalEditor,
                &["e"],
                "the rules file in $EDITOR",
                None,
            ),
            help(&["?"]),
            quit.clone(),
        ]);

        // Up and down go to the product before and after, as on the list;
        // the steps scroll by pages.
        let mut detail = move_keys("previous product", "next product", Some("product"));
        detail.extend([select(Some("select")), draft(Some("draft"))]);
        detail.extend([
            bind(
                "scroll_up",
                A::ScrollUp,
                &["shift-Up"],
                "scroll the steps up a line",
                None,
            ),
            bind(
                "scroll_down",
                A::ScrollDown,
                &["shift-Down"],
                "scroll the steps down a line",
                None,
            ),
            bind(
                "page_up",
                A::PageUp,
                &["PageUp", "ctrl-b"],
                "scroll the steps up",
                Some("scroll"),
            ),
            bind(
                "page_down",
                A::PageDown,
                &["PageDown", "ctrl-f"],
                "scroll the steps down",
                Some("scroll"),
            ),
            bind("top", A::Top, &["Home", "g"], "first step", None),
            bind("bottom", A::Bottom, &["End", "G"], "last step", None),
            // The charts before back and override: at 80x24 the footer has
            // room for them and not for all.
            bind(
                "charts",
                A::ToggleCharts,
                &["v"],
                "charts or steps (80x24)",
                Some("charts"),
            ),
            bind(
                "back",
                A::Back,
                &["Esc", "h", "Left"],
                "back to the list",
                Some("back"),
            ),
            override_,
            clear_override(None),
            refresh,
            sources,
            help(&["?"]),
            quit,
        ]);

        let filter = vec![
            bind(
                "done",
                A::FilterDone,
                &["Enter"],
                "keep the filter",
                Some("keep"),
            ),
            bind(
                "cancel",
                A::ClearFilter,
                &["Esc"],
                "clear the filter",
                Some("cancel"),
            ),
            bind(
                "backspace",
                A::FilterBackspace,
                &["Backspace"],
                "delete the last character",
                None,
            ),
            bind("up", A::Up, &["Up"], "up the list", None),
            bind("down", A::Down, &["Down"], "down the list", None),
            help(&["F1"]),
        ];

        let override_popup = vec![
            bind("save", A::FormSubmit, &["Enter"], "save", Some("save")),
            bind(
                "next_field",
                A::FormNextField,
                &["Tab", "Down"],
                "next field",
                Some("next"),
            ),
            bind(
                "previous_field",
                A::FormPrevField,
                &["BackTab", "Up"],
                "previous field",
                None,
            ),
            bind(
                "previous_choice",
                A::FormChoice(false),
                &["Left"],
                "previous unit or reason",
                Some("change"),
            ),
            bind(
                "next_choice",
                A::FormChoice(true),
                &["Right"],
                "next unit or reason (Space too)",
                Some("change"),
            ),
            bind(
                "backspace",
                A::FormBackspace,
                &["Backspace"],
                "delete the last character",
                None,
            ),
            bind(
                "clear_field",
                A::FormClear,
                &["ctrl-u"],
                "empty the field",
                Some("clear"),
            ),
            bind(
                "lower_offer",
                A::FormOffer(false),
                &["PageDown"],
                "the whole packs below (one pack less)",
                Some("packs"),
            ),
            bind(
                "upper_offer",
                A::FormOffer(true),
                &["PageUp"],
                "the whole packs above (one pack more)",
                Some("packs"),
            ),
            bind(
                "overwrite",
                A::FormOverwrite,
                &["ctrl-o"],
                "save over the other change shown",
                None,
            ),
            bind("cancel", A::Back, &["Esc"], "cancel", Some("cancel")),
            help(&["F1"]),
        ];

        // The help (with the list's legend) scrolls on a small screen.
        let mut help_popup = move_keys("scroll up", "scroll down", Some("scroll"));
        help_popup.extend([
            bind("page_up", A::PageUp, &["PageUp", "ctrl-b"], "page up", None),
            bind(
                "page_down",
                A::PageDown,
                &["PageDown", "ctrl-f"],
                "page down",
                None,
            ),
            bind("top", A::Top, &["Home", "g"], "top", None),
            bind("bottom", A::Bottom, &["End", "G"], "end", None),
            bind(
                "close",
                A::ToggleHelp,
                &["Esc", "?", "q"],
                "close the help",
                Some("close"),
            ),
        ]);
        let sources_popup = vec![bind(
            "close",
            A::ToggleSources,
            &["Esc", "i", "q"],
            "close the sources",
            Some("close"),
        )];

        let editor = vec![
            bind(
                "close",
                A::CloseEditor,
                &["Esc"],
                "leave (edits kept as a draft)",
                Some("leave"),
            ),
            bind(
                "apply",
                A::ApplyRules,
                &["ctrl-s"],
                "apply (only without errors)",
                Some("apply"),
            ),
            bind(
                "next_problem",
                A::NextProblem,
                &["F2"],
                "next error, then warning",
                Some("next error"),
            ),
            bind(
                "dry_run",
                A::DryRun,
                &["F5"],
                "try on every product (changes nothing)",
                Some("try"),
            ),
            bind(
                "backtest",
                A::RunBacktest,
                &["F6"],
                "backtest, last 90 days: in force vs this text; Esc closes",
                Some("backtest"),
            ),
            bind(
                "fixtures",
                A::RunFixtures,
                &["F7"],
                "run the rule fixtures (rules/tests/*.toml)",
                // In the help only: the footer keeps its width.
                None,
            ),
            bind(
                "discard",
                A::DiscardEdits,
                &["F8"],
                "discard the edits (and the draft), after a question",
                None,
            ),
            // Undo/redo, search, go-to-line, completion (editor/basics.rs).
            // Ctrl-Z undoes here; elsewhere it suspends the app.
            bind(
                "undo",
                A::Editor(E::Undo),
                &["ctrl-z", "ctrl-u"],
                "undo",
                None,
            ),
            bind(
                "redo",
                A::Editor(E::Redo),
                &["ctrl-y", "ctrl-r"],
                "redo",
                None,
            ),
            bind(
                "find",
                A::Editor(E::Find),
                &["ctrl-f"],
                "search (Enter/F3/^N next, Up/^P previous)",
                Some("find"),
            ),
            // Shift-F3 never arrives from xterm or tmux (its code reads as
            // a cursor report): Ctrl-N/Ctrl-P too, as in micro.
            bind(
                "find_next",
                A::Editor(E::FindNext),
                &["F3", "ctrl-n"],
                "next match",
                None,
            ),
            bind(
                "find_previous",
                A::Editor(E::FindPrevious),
                &["shift-F3", "ctrl-p"],
                "previous match",
                None,
            ),
            bind(
                "go_to_line",
                A::Editor(E::GoToLine),
                &["ctrl-g"],
                "go to a line",
                None,
            ),
            bind(
                "first_line",
                A::Editor(E::FirstLine),
                &["ctrl-Home"],
                "first line",
                None,
            ),
            bind(
                "last_line",
                A::Editor(E::LastLine),
                &["ctrl-End"],
                "last line",
                None,
            ),
            bind(
                "complete",
                A::Editor(E::Complete),
                &["Tab"],
                "after Product.: field names (else indent)",
                None,
            ),
            bind(
                "complete_list",
                A::Editor(E::CompleteList),
                &["ctrl-Space"],
                "after Product.: field names",
                None,
            ),
            bind(
                "history",
                A::RulesVersions,
                &["F9"],
                "rules versions kept (Enter loads one)",
                Some("history"),
            ),
            help(&["F1"]),
        ];

        // The keys acting on a PO, the same on the list of POs and on one.
        // On the list: the selected POs, else every listed one; on one PO:
        // that PO.
        let po_keys = |reload_help, approve_help, send_help| {
            [
                bind(
                    "approve",
                    A::ApprovePo,
                    &["A"],
                    approve_help,
                    Some("approve"),
                ),
                bind("send", A::SendPo, &["S"], send_help, Some("send")),
                bind(
                    "cancel",
                    A::CancelPo,
                    &["X"],
                    "cancel (asks first)",
                    Some("cancel"),
                ),
                bind("reload", A::ReloadOrders, &["r"], reload_help, None),
            ]
        };
        let mut orders = move_keys("up", "down", Some("move"));
        orders.extend([
            bind("page_up", A::PageUp, &["PageUp", "ctrl-b"], "page up", None),
            bind(
                "page_down",
                A::PageDown,
                &["PageDown", "ctrl-f"],
                "page down",
                None,
            ),
            bind("top", A::Top, &["Home", "g"], "newest PO", None),
            bind("bottom", A::Bottom, &["End", "G"], "oldest PO", None),
            bind(
                "open",
                A::OpenDetail,
                &["Enter", "l", "Right"],
                "the PO: lines and send attempts",
                Some("open"),
            ),
            bind(
                "toggle_select",
                A::ToggleSelect,
                &["Space"],
                "select / unselect the PO for A and S",
                Some("select"),
            ),
        ]);
        orders.extend(po_keys(
            "read the POs again",
            "approve the selected POs, else all listed (asks)",
            "send the selected POs, else all listed (asks)",
        ));
        orders.extend([
            bind(
                "back",
                A::Back,
                &["Esc", "q", "h", "Left"],
                "back to the products",
                Some("back"),
            ),
            help(&["?"]),
        ]);

        let mut order = move_keys("scroll up", "scroll down", Some("scroll"));
        order.extend([
            bind(
                "page_up",
                A::PageUp,
                &["PageUp", "ctrl-b"],
                "page up",
                Some("scroll"),
            ),
            bind(
                "page_down",
                A::PageDown,
                &["PageDown", "ctrl-f"],
                "page down",
                Some("scroll"),
            ),
            bind("top", A::Top, &["Home", "g"], "top", None),
            bind("bottom", A::Bottom, &["End", "G"], "end", None),
        ]);
        order.extend(po_keys(
            "read the PO again",
            "approve it (asks first)",
            "send it (a draft: asks first; again: retry)",
        ));
        order.extend([
            bind(
                "next_line",
                A::PoLine(true),
                &["]"],
                "select the next line",
                Some("line"),
            ),
            bind(
                "previous_line",
                A::PoLine(false),
                &["["],
                "select the previous line",
                None,
            ),
            bind(
                "edit_line",
                A::EditPoLine,
                &["e"],
                "change the selected line's quantity (draft, pending)",
                Some("quantity"),
            ),
            bind(
                "remove_line",
                A::RemovePoLine,
                &["D", "Delete"],
                "remove the selected line (asks first)",
                Some("remove"),
            ),
            bind(
                "note",
                A::EditPoNote,
                &["N"],
                "edit the PO's note (draft, pending)",
                Some("note"),
            ),
            bind(
                "receive",
                A::ReceivePo,
                &["R"],
                "receive everything still on order (asks first)",
                Some("receive"),
            ),
            bind(
                "receive_line",
                A::ReceivePoLine,
                &["L"],
                "receive part of the selected line",
                None,
            ),
        ]);
        order.extend([
            bind(
                "back",
                A::Back,
                &["Esc", "q", "h", "Left"],
                "back to the POs",
                Some("back"),
            ),
            help(&["?"]),
        ]);

        let confirm = vec![
            bind("yes", A::Confirm(true), &["y"], "yes", Some("yes")),
            bind("no", A::Confirm(false), &["n", "Esc"], "no", Some("no")),
        ];
        let drafted = vec![
            bind("up", A::Up, &["Up", "k"], "scroll up", Some("scroll")),
            bind(
                "down",
                A::Down,
                &["Down", "j"],
                "scroll down",
                Some("scroll"),
            ),
            bind("page_up", A::PageUp, &["PageUp"], "page up", None),
            bind("page_down", A::PageDown, &["PageDown"], "page down", None),
            bind(
                "close",
                A::Back,
                &["Esc", "Enter", "q"],
                "close: the POs",
                Some("close"),
            ),
        ];

        let po_input = vec![
            bind("save", A::FormSubmit, &["Enter"], "save", Some("save")),
            bind("cancel", A::Back, &["Esc"], "cancel", Some("cancel")),
            bind(
                "delete",
                A::FormBackspace,
                &["Backspace"],
                "delete a character",
                None,
            ),
        ];
        let mut screens = vec![Vec::new(); Screen::ALL.len()];
        for (screen, bindings) in [
            (Screen::List, list),
            (Screen::Detail, detail),
            (Screen::Filter, filter),
            (Screen::Override, override_popup),
            (Screen::Help, help_popup),
            (Screen::Sources, sources_popup),
            (Screen::Editor, editor),
            (Screen::Orders, orders),
            (Screen::Order, order),
            (Screen::Confirm, confirm),
            (Screen::Drafted, drafted),
            (Screen::PoInput, po_input),
        ] {
            screens[screen.index()] = bindings;
        }
        Keymap { screens }
    }
}
