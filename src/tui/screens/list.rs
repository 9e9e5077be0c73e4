//! The product list: its columns, how the width is shared out among them
//! (whole columns dropped by priority, never a part of an id or a figure),
//! the flags in order of importance, the line of totals per currency above
//! it, and the legend the help shows.

use crate::tui::widgets::table;
use std::borrow::Cow;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row};
use ratatui::Frame;

use crate::plan::numbers::{fmt_money, fmt_qty_short, round_qty, unit_word};
use crate::plan::{ExceptionCode, ProductPlan};
use crate::text::masked;
use crate::tui::action::Column;
use crate::tui::keymap::Screen;
use crate::tui::sort::demand_class_of;
use crate::tui::state::App;
use crate::tui::theme::Theme;

/// A column of the product list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The mark of a product selected for ordering.
    Mark,
    Product,
    Name,
    Supplier,
    /// ABC, XYZ and the demand class (DOMAIN.md section 5).
    Class,
    Demand,
    Available,
    OnOrder,
    Cover,
    Order,
    Purchase,
    Amount,
    Flags,
}

/// The columns left to right.
pub const LAYOUT: [Field; 13] = [
    Field::Mark,
    Field::Product,
    Field::Name,
    Field::Supplier,
    Field::Class,
    Field::Demand,
    Field::Available,
    Field::OnOrder,
    Field::Cover,
    Field::Order,
    Field::Purchase,
    Field::Amount,
    Field::Flags,
];

/// Which columns stay when the terminal is narrow: the first four are
/// always shown (the id and the order whole, the flags at least with their
/// most important badge), the others in this order while they fit whole.
pub const PRIORITY: [Field; 13] = [
    Field::Product,
    Field::Order,
    Field::Mark,
    Field::Flags,
    Field::Amount,
    Field::Purchase,
    Field::Available,
    Field::Demand,
    Field::Class,
    Field::Cover,
    Field::OnOrder,
    Field::Name,
    Field::Supplier,
];

/// Name and supplier take what is left over; below this they are hidden.
const TEXT_MIN: usize = 14;

impl Field {
    pub fn title(self) -> &'static str {
        match self {
            Field::Mark => "",
            Field::Product => "Product",
            Field::Name => "Name",
            Field::Supplier => "Supplier",
            Field::Class => "Cls",
            Field::Demand => "Demand/d",
            Field::Available => "Avail",
            Field::OnOrder => "OnOrder",
            Field::Cover => "Cover",
            Field::Order => "Order",
            Field::Purchase => "Purchase",
            Field::Amount => "Amount",
            Field::Flags => "Flags",
        }
    }

    /// What the column shows, for the help's legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Field::Mark => "selected for ordering (Space)",
            Field::Product => "the product id, always whole",
            Field::Name => "the product's name",
            Field::Supplier => "the supplier chosen for it",
            Field::Class => {
                "classes, three letters: ABC (yearly value: A the top 80%, B the next 15%, C the rest), XYZ (CV of weekly demand: X < 0.5 <= Y < 1 <= Z), demand class (s smooth, e erratic, i intermittent, l lumpy, h short history); - unranked or not known yet"
            }
            Field::Demand => {
                "daily demand the plan used, stock units; f: its forecast (else the OMS average); arrow: the trend"
            }
            Field::Available => "available stock (on hand minus reserved)",
            Field::OnOrder => "on order (the source's and buyerdesk's open POs)",
            Field::Cover => {
                "days of cover: available / daily demand (0 for a backorder, - without demand)"
            }
            Field::Order => "suggested order, stock units; after an arrow the buyer's",
            Field::Purchase => "the order in purchase units (whole packs; the buyer's when overridden)",
            Field::Amount => "the order x unit price (the buyer's quantity when overridden); the currency when several",
            Field::Flags => "exceptions, the most important first (below)",
        }
    }

    /// The sort the column's title shows an arrow for.
    fn sorted_by(self) -> Option<Column> {
        match self {
            Field::Mark | Field::Purchase => None,
            Field::Product => Some(Column::Product),
            Field::Name => Some(Column::Name),
            Field::Supplier => Some(Column::Supplier),
            Field::Class => Some(Column::Class),
            Field::Demand => Some(Column::Demand),
            Field::Available => Some(Column::Available),
            Field::OnOrder => Some(Column::OnOrder),
            Field::Cover => Some(Column::Cover),
            Field::Order => Some(Column::Order),
            Field::Amount => Some(Column::Amount),
            Field::Flags => Some(Column::Exceptions),
        }
    }

    /// The figures a refresh highlights in this column.
    fn changes_with(self) -> Option<Column> {
        match self {
            Field::Mark => None,
            Field::Purchase => Some(Column::Order),
            f => f.sorted_by(),
        }
    }

    fn right_aligned(self) -> bool {
        matches!(
            self,
            Field::Demand
                | Field::Available
                | Field::OnOrder
                | Field::Cover
                | Field::Order
                | Field::Purchase
                | Field::Amount
        )
    }

    /// Name and supplier: text that may be shortened, with a mark.
    fn is_text(self) -> bool {
        matches!(self, Field::Name | Field::Supplier)
    }
}

/// A column as the last frame drew it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownColumn {
    pub field: Field,
    /// From the left edge of the list.
    pub x: u16,
    pub width: u16,
}

/// What a flag of the list stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOf {
    Code(ExceptionCode),
    /// The order needs approval (the rules say so).
    Approval,
    /// The buyer's override was ordered on a sent PO: it no longer
    /// applies (the detail names the PO).
    UsedOverride,
}

/// A flag of the list: its badge and what it stands for.
type Flag = (&'static str, FlagOf);

/// The flags in order of importance: what makes the figures unreliable
/// (stale, bad data, a rule error), what is already being ordered (a draft
/// PO, an open PO, the buyer's own quantity), then stock trouble, what
/// cannot be ordered, approval and the rest.
pub const FLAG_ORDER: [Flag; 17] = [
    ("STALE", FlagOf::Code(ExceptionCode::SourceStale)),
    ("BAD", FlagOf::Code(ExceptionCode::BadData)),
    ("RULE", FlagOf::Code(ExceptionCode::RuleError)),
    ("DRAFT", FlagOf::Code(ExceptionCode::OnPo)),
    ("PO", FlagOf::Code(ExceptionCode::OpenPo)),
    ("OVR", FlagOf::Code(ExceptionCode::Overridden)),
    ("OUT", FlagOf::Code(ExceptionCode::Stockout)),
    ("SAFETY", FlagOf::Code(ExceptionCode::BelowSafety)),
    ("NOSUP", FlagOf::Code(ExceptionCode::NoSupplier)),
    ("INACTIVE", FlagOf::Code(ExceptionCode::SupplierInactive)),
    ("UOM!", FlagOf::Code(ExceptionCode::UomInvalid)),
    ("UOM?", FlagOf::Code(ExceptionCode::UomMissing)),
    ("APPR", FlagOf::Approval),
    ("LATE", FlagOf::Code(ExceptionCode::OrderLate)),
    ("OVER", FlagOf::Code(ExceptionCode::Overshoot)),
    ("NODEMAND", FlagOf::Code(ExceptionCode::NoDemand)),
    ("USED", FlagOf::UsedOverride),
];

/// What each flag means, for the legend (the code as JSON and the CLI
/// name it, then in words).
fn flag_meaning(flag: Flag) -> String {
    let code = match flag.1 {
        FlagOf::Approval => return "the order needs approval (the rules' threshold)".into(),
        FlagOf::UsedOverride => {
            return "the buyer's quantity went out on a sent PO (Enter: which)".into()
        }
        FlagOf::Code(code) => code,
    };
    let words = match code {
        ExceptionCode::SourceStale => "a source is down: its last data is used",
        ExceptionCode::BadData => "a required figure is missing or invalid; no order",
        ExceptionCode::RuleError => "the rules failed or left figures that disagree",
        ExceptionCode::OnPo => "on a buyerdesk PO not yet approved (draft, pending)",
        ExceptionCode::OpenPo => "on an approved or sent buyerdesk PO (on order)",
        ExceptionCode::Overridden => "the buyer's quantity replaces the suggestion",
        ExceptionCode::Stockout => "nothing available and there is demand",
        ExceptionCode::BelowSafety => "available is below the safety stock",
        ExceptionCode::NoSupplier => "no supplier: cannot be ordered",
        ExceptionCode::SupplierInactive => "the supplier is inactive: cannot be ordered",
        ExceptionCode::UomInvalid => "pack size (conversion factor) <= 0: no order",
        ExceptionCode::UomMissing => "no pack size: ordered in stock units",
        ExceptionCode::OrderLate => "stock runs out before an order can arrive",
        ExceptionCode::Overshoot => "rounding adds more than 30 days of cover",
        ExceptionCode::NoDemand => "stock on hand, no demand",
    };
    format!("{}: {words}", code.as_str())
}

/// A product's flags, the most important first.
pub fn flags_of(p: &ProductPlan) -> Vec<&'static str> {
    FLAG_ORDER
        .iter()
        .filter(|(_, of)| match of {
            FlagOf::Code(code) => p.exceptions.contains(code),
            FlagOf::Approval => p.requires_approval,
            FlagOf::UsedOverride => p.override_used.is_some(),
        })
        .map(|(badge, _)| *badge)
        .collect()
}

/// The flags in at most `width` columns: as many as fit, most important
/// first, then how many more ("OUT SAFETY +2").
pub fn flags_text(flags: &[&str], width: usize) -> String {
    for shown in (0..=flags.len()).rev() {
        let mut text = flags[..shown].join(" ");
        if shown < flags.len() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&format!("+{}", flags.len() - shown));
        }
        if text.chars().count() <= width || shown == 0 {
            return text;
        }
    }
    String::new()
}

/// The narrowest form of a product's flags: its most important one and
/// how many more.
fn flags_min_width(flags: &[&str]) -> usize {
    match flags {
        [] => 0,
        [one] => one.len(),
        [first, rest @ ..] => first.len() + 2 + rest.len().to_string().len(),
    }
}

/// Columns a text takes on the terminal.
fn width_of(text: &str) -> usize {
    Span::raw(text).width()
}

/// `text` in at most `width` columns, shortened with a mark when it does
/// not fit (names only: ids and figures are never shortened).
fn fit(theme: &Theme, text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = width_of(c.encode_utf8(&mut [0; 4]));
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push_str(theme.sym("…", "~"));
    }
    out
}

fn trend_arrow(theme: &Theme, trend: Option<&str>) -> &'static str {
    match trend {
        Some("increasing") => theme.sym("↑", "^"),
        Some("decreasing") => theme.sym("↓", "v"),
        Some("stable") => theme.sym("→", "="),
        _ => " ",
    }
}

/// The text of a cell, as the list shows it (the flags: `flags_text`).
pub fn cell_text(field: Field, p: &ProductPlan, app: &App) -> String {
    let theme = &app.theme;
    let dash = || "-".to_string();
    let qty = |v: Option<f64>| v.map(fmt_qty_short).unwrap_or_else(dash);
    match field {
        Field::Mark if app.for_order.contains(&*p.product_id) => theme.sym("✓", "*").to_string(),
        Field::Mark => String::new(),
        Field::Product => masked(&p.product_id).into_owned(),
        Field::Name => masked(p.product_name.as_deref().unwrap_or_default()).into_owned(),
        Field::Supplier => p
            .supplier_name
            .as_deref()
            .map_or_else(dash, |s| masked(s).into_owned()),
        Field::Class => class_text(p),
        // The demand the plan stands on, marked when it is the forecast.
        Field::Demand => p
            .demand_per_day()
            .map(|d| {
                format!(
                    "{}{}{}",
                    fmt_qty_short(d),
                    if p.demand_is_forecast() { "f" } else { "" },
                    trend_arrow(theme, p.trend.as_deref())
                )
            })
            .unwrap_or_else(dash),
        Field::Available => qty(p.available_qty.get()),
        Field::OnOrder => qty(p.on_order_qty.get()),
        // Rounded half away from zero, as every figure (31.25 is 31.3).
        Field::Cover => p
            .days_of_cover
            .map(|c| format!("{:.1}", (c * 10.0).round() / 10.0))
            .unwrap_or_else(dash),
        Field::Order => match p.override_qty.get() {
            // Suggested and overridden both visible.
            Some(o) => format!(
                "{}{}{}",
                fmt_qty_short(p.order_qty),
                theme.sym("→", "->"),
                fmt_qty_short(o)
            ),
            None if p.order_qty > 0.0 => fmt_qty_short(p.order_qty),
            None => String::new(),
        },
        // The buyer's quantity when overridden (the Order column shows
        // the suggestion beside it), else the suggestion.
        Field::Purchase if p.ordered().1 > 0.0 => {
            let unit = p
                .purchase_uom
                .as_deref()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .unwrap_or("units");
            let unit = masked(unit);
            let purchase = p.ordered().1;
            format!(
                "{} {}",
                fmt_qty_short(purchase),
                unit_word(round_qty(purchase), &unit)
            )
        }
        Field::Purchase => String::new(),
        Field::Amount if p.ordered().2 > 0.0 => {
            let amount = p.ordered().2;
            if app.mixed_currencies {
                format!("{} {}", fmt_money(amount), currency_label(p))
            } else {
                fmt_money(amount)
            }
        }
        Field::Amount => String::new(),
        Field::Flags => flags_of(p).join(" "),
    }
}

/// A product's classes in three letters: "AXs" (ABC, XYZ, the demand
/// class's letter), "-" where unranked or unknown.
pub fn class_text(p: &ProductPlan) -> String {
    let f = p.forecast.as_deref();
    let letter = match f.and_then(demand_class_of) {
        Some("smooth") => "s",
        Some("erratic") => "e",
        Some("intermittent") => "i",
        Some("lumpy") => "l",
        Some("short") => "h",
        _ => "-",
    };
    format!(
        "{}{}{letter}",
        f.and_then(|f| f.abc_class).unwrap_or("-"),
        f.and_then(|f| f.xyz_class).unwrap_or("-")
    )
}

/// A product's currency as the list names it ("?": none given).
pub fn currency_label(p: &ProductPlan) -> Cow<'_, str> {
    match p.currency.as_deref() {
        Some(c) => masked(c),
        None => Cow::Borrowed("?"),
    }
}

/// What a column needs: at least `min` columns, `want` to show all.
#[derive(Debug, Clone, Copy)]
struct Need {
    field: Field,
    min: usize,
    want: usize,
}

/// Shares `width` among the columns: the id, the order, the mark and the
/// flags always; the others by `PRIORITY` while they fit whole; what is
/// left goes to the flags, then to the name and the supplier. The shown
/// columns, left to right, with their widths.
fn allocate(needs: &[Need], width: usize) -> Vec<(Field, usize)> {
    let need = |f: Field| needs.iter().find(|n| n.field == f).copied();
    let mut chosen: Vec<(Field, usize)> = Vec::new();
    let mut used = 0usize;
    for (k, field) in PRIORITY.iter().enumerate() {
        let Some(n) = need(*field) else { continue };
        let cost = n.min + usize::from(!chosen.is_empty());
        // The id and the order are shown whatever the width.
        if k < 2 || used + cost <= width {
            chosen.push((*field, n.min));
            used += cost;
        }
    }
    // An id and an order wider than the screen: the id is cut (with a
    // mark, drawn by the caller); nothing else is.
    if used > width {
        let over = used - width;
        if let Some(id) = chosen.iter_mut().find(|(f, _)| *f == Field::Product) {
            id.1 = id.1.saturating_sub(over).max(1);
        }
        used = width;
    }
    let mut left = width - used;
    // The leftover: flags first, then name and supplier in turn.
    for fields in [&[Field::Flags][..], &[Field::Name, Field::Supplier][..]] {
        loop {
            let mut gave = false;
            for f in fields {
                let Some(n) = need(*f) else { continue };
                if let Some(c) = chosen.iter_mut().find(|(x, _)| x == f) {
                    if left > 0 && c.1 < n.want {
                        c.1 += 1;
                        left -= 1;
                        gave = true;
                    }
                }
            }
            if !gave {
                break;
            }
        }
    }
    LAYOUT
        .iter()
        .filter_map(|f| chosen.iter().find(|(x, _)| x == f).copied())
        .collect()
}

/// The title of a column, with the sort's arrow.
fn title_of(field: Field, app: &App) -> String {
    let arrow = match (field.sorted_by() == Some(app.sort.0), app.sort.1) {
        (false, _) => "",
        (true, false) => app.theme.sym("▼", "v"),
        (true, true) => app.theme.sym("▲", "^"),
    };
    format!("{}{arrow}", field.title())
}

/// The list: a line of totals and notes, the column titles, the rows of the
/// visible slice (only those are formatted).
pub fn draw_list(frame: &mut Frame, app: &mut App, area: Rect) {
    let [summary, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    // One line of titles; the rest is rows.
    let height = table_area.height.saturating_sub(1) as usize;
    app.page = height.max(1);
    app.offset = table::keep_in_view(app.selected, app.offset, height, app.view.len());
    let shown = table::visible(app.offset, height, app.view.len());
    let visible: Vec<(usize, Vec<String>, Vec<&'static str>)> = app.view[shown]
        .iter()
        .map(|&index| {
            let p = &app.plans[index];
            let cells = LAYOUT
                .iter()
                .map(|&f| match f {
                    Field::Flags => String::new(),
                    f => cell_text(f, p, app),
                })
                .collect();
            (index, cells, flags_of(p))
        })
        .collect();
    let titles: Vec<String> = LAYOUT.iter().map(|&f| title_of(f, app)).collect();
    let needs: Vec<Need> = LAYOUT
        .iter()
        .enumerate()
        .map(|(k, &field)| {
            let title = width_of(&titles[k]);
            let (min, want) = match field {
                Field::Flags => (
                    (visible.iter().map(|v| flags_min_width(&v.2))).fold(title, usize::max),
                    (visible.iter().map(|v| width_of(&v.2.join(" ")))).fold(title, usize::max),
                ),
                _ => {
                    let want = (visible.iter().map(|v| width_of(&v.1[k]))).fold(title, usize::max);
                    if field.is_text() {
                        (want.min(TEXT_MIN.max(title)), want)
                    } else {
                        (want, want)
                    }
                }
            };
            Need { field, min, want }
        })
        .collect();
    let widths = allocate(&needs, usize::from(table_area.width));
    let mut x = 0u16;
    app.list_columns = widths
        .iter()
        .map(|&(field, width)| {
            let width = width as u16;
            let shown = ShownColumn { field, x, width };
            x += width + 1;
            shown
        })
        .collect();
    app.hidden_columns = LAYOUT
        .iter()
        .filter(|f| !widths.iter().any(|(x, _)| x == *f))
        .copied()
        .collect();
    draw_summary(frame, app, summary);

    let position = |f: Field| LAYOUT.iter().position(|x| *x == f).unwrap_or(0);
    let align = |field: Field, line: Line<'static>| table::cell(line, field.right_aligned());
    let header = table::header(
        widths
            .iter()
            .map(|&(f, _)| align(f, Line::from(titles[position(f)].clone()))),
    );
    let theme = app.theme;
    let rows = visible
        .into_iter()
        .enumerate()
        .map(|(i, (index, cells, flags))| {
            let p = &app.plans[index];
            let row = Row::new(widths.iter().map(|&(field, width)| {
                let line = match field {
                    Field::Flags => flags_line(&theme, &flags, width),
                    Field::Product => Line::from(fit(&theme, &cells[position(field)], width)),
                    f if f.is_text() => Line::from(fit(&theme, &cells[position(f)], width)),
                    f => Line::from(cells[position(f)].clone()),
                };
                let cell = align(field, line);
                // A cell a refresh changed stands out for a moment.
                match field.changes_with() {
                    Some(c) if app.is_changed(&p.product_id, c) => cell.style(theme.changed()),
                    _ => cell,
                }
            }));
            if app.offset + i == app.selected {
                table::selected(row)
            } else if p
                .exceptions
                .iter()
                .any(|c| c.blocks_order() || *c == ExceptionCode::Stockout)
            {
                row.style(theme.danger())
            } else {
                row
            }
        });
    table::draw(
        frame,
        table_area,
        header,
        rows,
        widths.iter().map(|&(_, w)| w as u16),
    );
    if app.view.is_empty() {
        let clear = app
            .keymap
            .keys_phrase(Screen::List, "clear_filter", &app.theme);
        let mut text = if clear.is_empty() {
            "No product matches the filter.".to_string()
        } else {
            format!("No product matches the filter ({clear} clears it).")
        };
        if let Some(note) = &app.filter_note {
            text.push_str(&format!(" {note}."));
        }
        let msg = Paragraph::new(text).wrap(ratatui::widgets::Wrap { trim: true });
        frame.render_widget(
            msg,
            Rect {
                y: table_area.y + 1,
                height: table_area.height.saturating_sub(1).min(3),
                ..table_area
            },
        );
    }
}

/// The flags of a row in `width` columns; a product on a PO (a draft or
/// an open one) has its badge drawn apart from the others.
fn flags_line(theme: &Theme, flags: &[&'static str], width: usize) -> Line<'static> {
    let text = flags_text(flags, width);
    let spans: Vec<Span<'static>> = text
        .split(' ')
        .enumerate()
        .flat_map(|(k, word)| {
            let sep = (k > 0).then(|| Span::raw(" "));
            let style = match word {
                "DRAFT" | "PO" => theme.on_po(),
                _ => Style::new(),
            };
            sep.into_iter()
                .chain([Span::styled(word.to_string(), style)])
        })
        .collect();
    Line::from(spans)
}

/// The suggested orders' totals, one per currency ("To order: 9,300.00 EUR
/// (3 products), 1,250.00 USD (1)"); `counts` with the number of products.
pub fn totals_text(app: &App, counts: bool) -> String {
    // One total without a currency (none given): the figure alone.
    let named = app.totals.len() > 1 || app.totals.iter().any(|t| t.currency.is_some());
    let parts: Vec<String> = app
        .totals
        .iter()
        .enumerate()
        .map(|(k, t)| {
            let money = match named {
                true => total_text(t),
                false => fmt_money(t.cents as f64 / 100.0),
            };
            match (counts, k) {
                (false, _) => money,
                (true, 0) if t.products == 1 => format!("{money} (1 product)"),
                (true, 0) => format!("{money} ({} products)", t.products),
                (true, _) => format!("{money} ({})", t.products),
            }
        })
        .collect();
    if parts.is_empty() {
        "Nothing to order".to_string()
    } else {
        format!("To order: {}", parts.join(", "))
    }
}

/// The line above the titles: the totals per currency, how an amount sort
/// orders currencies, and which columns the width hides. What does not
/// fit is shortened, then left out, the hidden columns first (the help
/// lists them too), then the number of products, then totals from the
/// last currency ("+1 more"); the sort's note stays.
fn draw_summary(frame: &mut Frame, app: &App, area: Rect) {
    let width = usize::from(area.width);
    let sep = " | ";
    let by_amount = app.sort.0 == Column::Amount && app.mixed_currencies;
    let sort_long = by_amount.then(|| "by amount within each currency".to_string());
    let sort_short = by_amount.then(|| "sorted per currency".to_string());
    let hidden: Vec<&str> = app.hidden_columns.iter().map(|f| f.title()).collect();
    let hidden_long = (!hidden.is_empty()).then(|| format!("hidden: {}", hidden.join(", ")));
    let hidden_short = (!hidden.is_empty()).then(|| {
        let help = app.keymap.keys_phrase(Screen::List, "help", &app.theme);
        format!("{} columns hidden ({help})", hidden.len())
    });
    let (long, short) = (totals_text(app, true), totals_text(app, false));
    let forms = [
        (&long, &sort_long, &hidden_long),
        (&short, &sort_long, &hidden_long),
        (&long, &sort_long, &hidden_short),
        (&short, &sort_long, &hidden_short),
        (&long, &sort_long, &None),
        (&short, &sort_long, &None),
        (&short, &sort_short, &None),
    ];
    let join = |parts: [Option<&str>; 3]| parts.into_iter().flatten().collect::<Vec<_>>().join(sep);
    let fitting = forms.iter().find_map(|(totals, sort, note)| {
        let text = join([Some(totals.as_str()), sort.as_deref(), note.as_deref()]);
        (width_of(&text) <= width).then_some(text)
    });
    let text = fitting.unwrap_or_else(|| {
        // Many currencies on a narrow screen: as many totals as fit, whole,
        // and how many more.
        let all = app.totals.len();
        let mut text = String::new();
        for k in (0..=all).rev() {
            let items: Vec<String> = app.totals[..k].iter().map(total_text).collect();
            let mut totals = format!("To order: {}", items.join(", "));
            if k < all {
                totals.push_str(&format!(" +{} more", all - k));
            }
            text = join([Some(totals.as_str()), sort_short.as_deref(), None]);
            if width_of(&text) <= width {
                break;
            }
        }
        text
    });
    frame.render_widget(Line::from(text), area);
}

/// One currency's total: "9,300.00 EUR".
fn total_text(t: &crate::tui::state::CurrencyTotal) -> String {
    let money = fmt_money(t.cents as f64 / 100.0);
    match &t.currency {
        Some(c) => format!("{money} {}", masked(c)),
        None => format!("{money} (no currency)"),
    }
}

/// The legend of the list for the help: every column (those the width
/// hides marked so) and every flag, one line each, at most `width` wide.
pub fn legend_lines(app: &App, width: usize) -> Vec<String> {
    let wrap = crate::tui::keymap::wrap;
    let dropped: Vec<&str> = PRIORITY[4..].iter().rev().map(|f| f.title()).collect();
    let mut lines = vec![String::new()];
    lines.extend(wrap(
        &format!(
            "Columns. A narrow screen hides whole ones, first {}; never Product, Order or Flags:",
            dropped.join(", ")
        ),
        width,
        2,
    ));
    for field in LAYOUT {
        let title = match field {
            Field::Mark => app.theme.sym("✓", "*").to_string(),
            f => f.title().to_string(),
        };
        let hidden = if app.hidden_columns.contains(&field) {
            " (hidden now)"
        } else {
            ""
        };
        lines.extend(wrap(
            &format!("{title:<9} {}{hidden}", field.meaning()),
            width,
            10,
        ));
    }
    lines.push(String::new());
    lines.extend(wrap(
        "Filter by class with / and words: abc:A, xyz:Z, class:lumpy (a unique start will do: class:int); several values with commas (abc:A,B); - for unranked (abc:-); other words match the id, name or supplier. A word not understood is named on the message line and ignored.",
        width,
        2,
    ));
    lines.push(String::new());
    lines.push("Flags, the most important first:".to_string());
    for flag in FLAG_ORDER {
        lines.extend(wrap(
            &format!("{:<9} {}", flag.0, flag_meaning(flag)),
            width,
            10,
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(field: Field, min: usize, want: usize) -> Need {
        Need { field, min, want }
    }

    #[test]
    fn whole_columns_go_by_priority_and_the_id_and_order_stay() {
        let needs = [
            need(Field::Mark, 1, 1),
            need(Field::Product, 11, 11),
            need(Field::Name, 10, 20),
            need(Field::Supplier, 10, 17),
            need(Field::Class, 3, 3),
            need(Field::Demand, 8, 8),
            need(Field::Available, 5, 5),
            need(Field::OnOrder, 7, 7),
            need(Field::Cover, 5, 5),
            need(Field::Order, 17, 17),
            need(Field::Purchase, 13, 13),
            need(Field::Amount, 16, 16),
            need(Field::Flags, 11, 20),
        ];
        // The id, the order, the mark and the flags take 43 columns here.
        for width in 43..200 {
            let shown = allocate(&needs, width);
            let total: usize =
                shown.iter().map(|(_, w)| w).sum::<usize>() + shown.len().saturating_sub(1);
            assert!(total <= width, "{width}: {shown:?}");
            for (f, w) in &shown {
                let n = needs.iter().find(|n| n.field == *f).unwrap();
                assert!(*w >= n.min && *w <= n.want, "{width}: {f:?} {w}");
            }
            for must in [Field::Product, Field::Order, Field::Mark, Field::Flags] {
                assert!(shown.iter().any(|(f, _)| *f == must), "{width}: {must:?}");
            }
            // A column is shown only when every column before it in the
            // priority that fits is shown too.
            let is_shown = |f: Field| shown.iter().any(|(x, _)| *x == f);
            for (k, f) in PRIORITY.iter().enumerate().skip(4) {
                if is_shown(*f) {
                    continue;
                }
                // Hidden: it did not fit after the ones before it.
                let before: usize = PRIORITY[..k]
                    .iter()
                    .filter(|f| is_shown(**f))
                    .map(|f| needs.iter().find(|n| n.field == *f).unwrap().min + 1)
                    .sum();
                let n = needs.iter().find(|n| n.field == *f).unwrap();
                assert!(before + n.min > width, "{width}: {f:?} hidden but fits");
            }
        }
        // The widest: everything in full.
        let shown = allocate(&needs, 200);
        assert_eq!(shown.len(), 13);
        assert!(shown
            .iter()
            .all(|(f, w)| *w == needs.iter().find(|n| n.field == *f).unwrap().want));
    }

    #[test]
    fn flags_show_the_most_important_and_count_the_rest() {
        let flags = ["STALE", "OUT", "SAFETY", "LATE"];
        assert_eq!(flags_text(&flags, 40), "STALE OUT SAFETY LATE");
        assert_eq!(flags_text(&flags, 16), "STALE OUT +2");
        assert_eq!(flags_text(&flags, 8), "STALE +3");
        assert_eq!(flags_min_width(&flags), 8);
        assert_eq!(flags_text(&[], 8), "");
    }

    #[test]
    fn text_from_outside_cannot_drive_the_terminal() {
        assert_eq!(masked("Acme\x1b[2J Ltd"), "Acme?[2J Ltd");
        assert_eq!(masked("a\u{202e}b\nc"), "a?b?c");
        assert!(matches!(masked("Résine"), Cow::Borrowed("Résine")));
    }

    #[test]
    fn every_exception_has_a_flag_and_a_meaning() {
        use ExceptionCode as E;
        for code in [
            E::Stockout,
            E::BelowSafety,
            E::OrderLate,
            E::NoSupplier,
            E::SupplierInactive,
            E::UomMissing,
            E::UomInvalid,
            E::BadData,
            E::NoDemand,
            E::Overshoot,
            E::OpenPo,
            E::Overridden,
            E::SourceStale,
            E::RuleError,
            E::OnPo,
        ] {
            let flag = FLAG_ORDER.iter().find(|f| f.1 == FlagOf::Code(code));
            let flag = flag.unwrap_or_else(|| panic!("{code:?} has no flag"));
            assert_eq!(flag.0, crate::tui::view::badge(code), "{code:?}");
            assert!(flag_meaning(*flag).starts_with(code.as_str()));
        }
    }
}
