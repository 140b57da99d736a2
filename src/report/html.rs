//! `report.html`: one self-contained page (styles and SVG charts inline, no network access) made from a run
//! record: the data and its cleaning, the fit, the diagnostics, the value of the base and its segments, the
//! comparison with the simple formula, and the assumptions in plain words.

use super::RunRecord;
use super::svg::{BarChart, Heatmap, LineChart, Series, Style, escape};
use crate::value::compare::Accuracy;
use std::fmt::Write as _;

/// Styles shared by every report.
const STYLE: &str = "body{font-family:Helvetica,Arial,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222;\
line-height:1.45}h1{font-size:1.7em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
table{border-collapse:collapse;margin:.8em 0}td,th{padding:.25em .8em;border-bottom:1px solid #eee;text-align:right}\
td:first-child,th:first-child{text-align:left}.muted{color:#666;font-size:.92em}.headline{font-size:1.15em}\
figure{margin:1.2em 0}figcaption{color:#555;font-size:.92em;max-width:760px}svg.chart{max-width:100%;height:auto}";

/// Reports every chart's identifier, drawn size and drawn marks in the `data-rendered` attribute of the body once
/// the page is laid out, and the page's height in `data-height` (read by the headless-browser test and the
/// screenshot script; harmless for people).
const RENDER_CHECK: &str = "window.addEventListener('load',function(){var r=[];document.querySelectorAll('svg.chart')\
.forEach(function(s){var b=s.getBoundingClientRect(),n=0;s.querySelectorAll('.series').forEach(function(e){var k=e.getBBox();\
if(k.width>0||k.height>0)n++;});r.push(s.getAttribute('data-chart')+':'+Math.round(b.width)+'x'+Math.round(b.height)+':'+n);});\
document.body.setAttribute('data-rendered',r.join(' '));\
document.body.setAttribute('data-height',document.documentElement.scrollHeight);});";

/// Money with two decimals and thousands separated.
fn money(value: f64) -> String {
    let text = format!("{:.2}", value.abs());
    let (whole, cents) = text.split_at(text.len() - 3);
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}{cents}", if value < 0.0 { "-" } else { "" })
}

/// Money with its sign always written (`+1,234.50`, `-12.00`): a change.
fn change(value: f64) -> String {
    if value >= 0.0 { format!("+{}", money(value)) } else { money(value) }
}

fn percent(value: f64) -> String {
    format!("{:.1}%", value * 100.0)
}

/// An HTML table from a header and rows of already formatted cells (escaped here).
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut html = String::from("<table><tr>");
    header.iter().for_each(|h| {
        let _ = write!(html, "<th>{}</th>", escape(h));
    });
    html.push_str("</tr>");
    for row in rows {
        html.push_str("<tr>");
        row.iter().for_each(|c| {
            let _ = write!(html, "<td>{}</td>", escape(c));
        });
        html.push_str("</tr>");
    }
    html.push_str("</table>");
    html
}

fn figure(svg: String, caption: &str) -> String {
    format!("<figure>{svg}<figcaption>{}</figcaption></figure>", escape(caption))
}

/// The whole report.
pub fn render(record: &RunRecord) -> String {
    let s = &record.settings;
    let unit = &s.time_unit;
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Customer lifetime value: {}</title>\
         <style>{STYLE}</style><script>{RENDER_CHECK}</script></head><body>",
        escape(&record.input)
    );
    let _ = write!(
        html,
        "<h1>Customer lifetime value</h1><p class=\"muted\">{} · made by clv {} on {} · calibration to {}, observed to {}</p>",
        escape(&record.input),
        escape(&record.clv_version),
        escape(&record.created_at),
        escape(&s.calibration_end),
        escape(&s.observation_end)
    );
    headline(&mut html, record);
    drift_section(&mut html, record);
    data_section(&mut html, record);
    fit_section(&mut html, record);
    diagnostics_section(&mut html, record, unit);
    value_section(&mut html, record);
    comparison_section(&mut html, record);
    assumptions_section(&mut html, record);
    html.push_str("</body></html>\n");
    html
}

fn headline(html: &mut String, r: &RunRecord) {
    let _ = write!(
        html,
        "<p class=\"headline\">The {} customers are worth <b>{}</b>{} ({}; margin {}). The simple formula says {}. \
         Purchases are modelled by {}{}.</p>",
        r.data.customers,
        money(r.value.customer_equity),
        r.value.intervals.as_ref().map_or(String::new(), |i| format!(
            " ({:.0}% interval {} to {})",
            i.level * 100.0,
            money(i.equity.low),
            money(i.equity.high)
        )),
        escape(&r.settings.discounting),
        r.settings.margin,
        money(r.value.simple_equity),
        escape(&r.count_model.model),
        r.comparison.as_ref().map_or(String::new(), |c| format!("; on the holdout, {}", escape(&c.verdict)))
    );
}

/// What changed since the previous run in the folder (runs made with `--refit`).
fn drift_section(html: &mut String, r: &RunRecord) {
    let Some(d) = &r.drift else { return };
    let e = &d.customers.equity;
    let c = &d.customers.counts;
    let _ = write!(
        html,
        "<h2>What changed since the previous run</h2><p>Compared with the run of {} (calibration to {}; its files are \
         kept in <code>{}</code>). Customer equity went from {} to <b>{}</b> ({}).</p>",
        escape(&d.previous_created_at),
        escape(&d.previous_calibration_end),
        escape(&d.previous_kept_in),
        money(e.previous),
        money(e.new),
        change(e.new - e.previous)
    );
    let bridge = [
        ("Previous customer equity", e.previous),
        ("Customers in both runs: change in value", e.continuing_new - e.continuing_previous),
        (&*format!("New customers ({})", c.new), e.new_customers),
        (&*format!("Customers no longer valued ({})", c.gone), -e.gone_customers),
        ("Customer equity now", e.new),
    ]
    .iter()
    .enumerate()
    .map(|(i, (what, amount))| {
        let amount = if i == 0 || i == 4 { money(*amount) } else { change(*amount) };
        vec![what.to_string(), amount]
    })
    .collect::<Vec<_>>();
    html.push_str(&table(&["Where the change came from", "Amount"], &bridge));
    let _ = write!(
        html,
        "<p>{} customers lapsed (their probability of being alive fell below {}) and {} revived. Refitting raised the \
         log-likelihood on these data by {:.3} over the previous estimates.{}</p>",
        c.lapsed,
        super::drift::LAPSED_BELOW,
        c.revived,
        d.log_likelihood - d.previous_parameters_log_likelihood,
        if d.settings_changed.is_empty() {
            String::new()
        } else {
            format!(" Settings changed: {}.", escape(&d.settings_changed.join("; ")))
        }
    );
    let parameters: Vec<Vec<String>> = d
        .parameters
        .iter()
        .map(|p| {
            vec![
                format!("{} {}", p.model, p.name),
                format!("{:.6}", p.previous),
                format!("{:.6}", p.new),
                p.change_in_se.map_or("n/a".into(), |z| format!("{z:+.2}")),
            ]
        })
        .collect();
    html.push_str(&table(&["Parameter", "Previous", "New", "Change in standard errors"], &parameters));
    if let (Some(limit), Some(p)) = (d.max_drift, d.exceeded()) {
        let _ = write!(
            html,
            "<p><b>Drift:</b> {} of {} moved {:.2} standard errors, more than the limit of {limit}.</p>",
            escape(&p.name),
            escape(&p.model),
            p.change_in_se.unwrap_or_default().abs()
        );
    }
    let movers: Vec<Vec<String>> = d
        .customers
        .movers
        .iter()
        .map(|m| {
            vec![
                m.id.clone(),
                money(m.clv.0),
                money(m.clv.1),
                change(m.clv.1 - m.clv.0),
                format!("{:.3} to {:.3}", m.p_alive.0, m.p_alive.1),
                format!("{} to {}", m.frequency.0, m.frequency.1),
            ]
        })
        .collect();
    html.push_str(&table(
        &["Customers whose value moved most", "CLV before", "CLV now", "Change", "P(alive)", "Repeat purchases"],
        &movers,
    ));
}

fn data_section(html: &mut String, r: &RunRecord) {
    let d = &r.data;
    let mut rows = vec![
        vec!["rows read".into(), d.rows_read.to_string()],
        vec!["rows used".into(), d.rows_used.to_string()],
        vec!["merged into a same-day purchase".into(), d.rows_merged.to_string()],
        vec![
            format!("left out: {} customers first buying after the calibration end", d.later_customers),
            d.rows_of_later_customers.to_string(),
        ],
        vec!["left out: dated after the observation end".into(), d.rows_after_observation_end.to_string()],
    ];
    rows.extend(d.rows_skipped.iter().map(|(kind, n)| vec![format!("skipped: {kind}"), n.to_string()]));
    rows.push(vec!["customers".into(), d.customers.to_string()]);
    rows.push(vec!["with repeat purchases in calibration".into(), d.repeat_customers.to_string()]);
    rows.push(vec!["purchases in the holdout".into(), d.holdout_purchases.to_string()]);
    let _ = write!(
        html,
        "<h2>The data</h2><p>From the first purchase on {} to the calibration end on {}; the holdout runs to {}. Times \
         are in {}s. Every row is accounted for:</p>{}",
        escape(&d.first_day),
        escape(&r.settings.calibration_end),
        escape(&r.settings.observation_end),
        escape(&r.settings.time_unit),
        table(&["", "rows"], &rows)
    );
}

fn model_table(m: &super::FittedModel) -> String {
    let rows: Vec<Vec<String>> = m
        .params
        .iter()
        .map(|(n, v, se)| vec![n.clone(), format!("{v:.6}"), se.map_or("n/a".into(), |se| format!("{se:.6}"))])
        .collect();
    table(&["parameter", "estimate", "standard error"], &rows)
}

fn fit_section(html: &mut String, r: &RunRecord) {
    let c = &r.count_model;
    let _ = write!(
        html,
        "<h2>The fit</h2><p>Purchase counts: <b>{}</b> on {} customers, log-likelihood {:.3}, {}.</p>{}",
        escape(&c.model),
        c.customers,
        c.log_likelihood,
        escape(&c.status()),
        model_table(c)
    );
    if !r.candidates.is_empty() {
        let rows: Vec<Vec<String>> = r
            .candidates
            .iter()
            .map(|k| {
                vec![
                    format!("{}{}", k.model, if k.kept { " (kept)" } else { "" }),
                    if k.converged {
                        "yes".into()
                    } else if k.boundary.is_empty() {
                        "no".into()
                    } else {
                        format!("at the boundary ({})", k.boundary.join(", "))
                    },
                    format!("{:.3}", k.log_likelihood),
                    format!("{:.3}", k.aic),
                    format!("{:.3}", k.bic),
                    k.holdout_mae.map_or("-".into(), |v| format!("{v:.4}")),
                    k.holdout_total_error.map_or("-".into(), percent),
                ]
            })
            .collect();
        let _ = write!(
            html,
            "<p>Every purchase-count model was fitted; the one kept has the {}.</p>{}",
            escape(r.choice_rule.as_deref().unwrap_or("")),
            table(&["model", "converged", "log-likelihood", "AIC", "BIC", "holdout MAE", "holdout total error"], &rows)
        );
    }
    let g = &r.spend_model;
    let _ = write!(
        html,
        "<p>Spend per purchase: <b>{}</b> on the {} customers with repeat purchases, log-likelihood {:.3}.</p>{}",
        escape(&g.model),
        g.customers,
        g.log_likelihood,
        model_table(g)
    );
}

fn diagnostics_section(html: &mut String, r: &RunRecord, unit: &str) {
    let d = &r.diagnostics;
    html.push_str("<h2>Does the model fit?</h2>");
    if let Some(t) = &d.tracking {
        let period = if t.period_days == 7 { "week".to_string() } else { format!("{} days", t.period_days) };
        let points = |v: &[f64]| v.iter().enumerate().map(|(k, y)| ((k + 1) as f64, *y)).collect::<Vec<_>>();
        let cumulative = |v: &[f64]| {
            v.iter()
                .scan(0.0, |sum, y| {
                    *sum += y;
                    Some(*sum)
                })
                .collect::<Vec<f64>>()
        };
        let marker = Some((t.calibration_end, "calibration end".to_string()));
        let weekly = LineChart {
            id: "tracking-weekly".into(),
            title: format!("Repeat purchases per {period}"),
            x_label: format!("{period}s since {}", t.start),
            y_label: "repeat purchases".into(),
            series: vec![
                Series { name: "actual".into(), points: points(&t.actual), style: Style::Line },
                Series { name: r.count_model.model.clone(), points: points(&t.expected), style: Style::Dashed },
            ],
            marker: marker.clone(),
        };
        let total = LineChart {
            id: "tracking-cumulative".into(),
            title: "Cumulative repeat purchases".into(),
            x_label: format!("{period}s since {}", t.start),
            y_label: "repeat purchases".into(),
            series: vec![
                Series { name: "actual".into(), points: points(&cumulative(&t.actual)), style: Style::Line },
                Series {
                    name: r.count_model.model.clone(),
                    points: points(&cumulative(&t.expected)),
                    style: Style::Dashed,
                },
            ],
            marker,
        };
        html.push_str(&figure(
            weekly.to_svg(),
            "Tracking: the cohort's repeat purchases per period against the model's expectation, in calibration and \
             (after the dashed line) in the holdout, where the model has not seen the data.",
        ));
        html.push_str(&figure(total.to_svg(), "The same, cumulated."));
    }
    if let Some(c) = &d.conditional {
        let points = |v: &[f64]| v.iter().enumerate().map(|(k, y)| (k as f64, *y)).collect::<Vec<_>>();
        let chart = LineChart {
            id: "conditional".into(),
            title: "Holdout purchases by calibration frequency".into(),
            x_label: format!(
                "repeat purchases in calibration ({} = {} or more)",
                c.frequency.len() - 1,
                c.frequency.len() - 1
            ),
            y_label: "mean purchases in the holdout".into(),
            series: vec![
                Series { name: "actual".into(), points: points(&c.actual), style: Style::Markers },
                Series { name: r.count_model.model.clone(), points: points(&c.predicted), style: Style::Dashed },
            ],
            marker: None,
        };
        let counts: Vec<String> = c.frequency.iter().zip(&c.customers).map(|(f, n)| format!("{f}: {n}")).collect();
        html.push_str(&figure(
            chart.to_svg(),
            &format!(
                "Calibration against holdout: customers grouped by their calibration purchases, their mean holdout \
                 purchases against the model's conditional expectation (customers per group: {}).",
                counts.join(", ")
            ),
        ));
    }
    let g = &d.grid;
    let columns: Vec<String> = g.recency.iter().map(|t| format!("{t:.0}")).collect();
    let rows: Vec<String> = g.frequency.iter().map(u32::to_string).collect();
    let map = |id: &str, title: String, cells: &Vec<Vec<f64>>, value: &str| Heatmap {
        id: id.into(),
        title,
        x_label: format!("recency ({unit}s since the first purchase to the last)"),
        y_label: "frequency (repeat purchases)".into(),
        columns: columns.clone(),
        rows: rows.clone(),
        cells: cells.clone(),
        value_label: value.into(),
    };
    html.push_str(&figure(
        map(
            "grid-expected",
            format!("Expected purchases in the next {:.0} {unit}s", g.horizon),
            &g.expected,
            "purchases",
        )
        .to_svg(),
        &format!(
            "By frequency and recency, for a customer whose first purchase was {:.0} {unit}s before the calibration end.",
            g.age
        ),
    ));
    html.push_str(&figure(
        map("grid-alive", "Probability of being alive".into(), &g.p_alive, "P(alive)").to_svg(),
        "The same customers' probability of still being active: recent buyers are alive; frequent buyers who have \
         gone quiet are the likeliest to have left.",
    ));
}

fn value_section(html: &mut String, r: &RunRecord) {
    let v = &r.value;
    let _ = write!(
        html,
        "<h2>What the customers are worth</h2><p class=\"headline\">Customer equity: <b>{}</b>. Expected purchases over \
         the next {:.0} {}s: {:.1}; mean probability of being alive: {:.3}.</p>",
        money(v.customer_equity),
        r.settings.prediction_horizon,
        escape(&r.settings.time_unit),
        v.expected_purchases,
        v.mean_p_alive
    );
    if let Some(i) = &v.intervals {
        let _ = write!(
            html,
            "<p>With {:.0}% confidence the customers are worth <b>{} to {}</b> (bootstrap: customers resampled {} times, \
             both models refitted on each resample{}){}.</p>",
            i.level * 100.0,
            money(i.equity.low),
            money(i.equity.high),
            i.replicates,
            if i.failed > 0 { format!(", {} refits failed and were left out", i.failed) } else { String::new() },
            i.equity_delta_method.map_or(String::new(), |d| format!(
                "; from the fits' covariance (delta method): {} to {}",
                money(d.low),
                money(d.high)
            ))
        );
        if let Some(d) = i.expected_purchases_delta_method {
            let _ = write!(
                html,
                "<p>Expected purchases of the base over the next {:.0} {}s: {:.1} to {:.1} (delta method).</p>",
                r.settings.reporting_horizon,
                escape(&r.settings.time_unit),
                d.low,
                d.high
            );
        }
    }
    let mut header = vec!["segment", "customers", "share of value", "mean CLV", "mean P(alive)"];
    if v.intervals.is_some() {
        header.push("segment value (interval)");
    }
    let rows: Vec<Vec<String>> = v
        .segments
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let mut row = vec![
                s.label.clone(),
                s.customers.to_string(),
                percent(s.share_of_value),
                money(s.mean_clv),
                format!("{:.3}", s.mean_p_alive),
            ];
            if let Some(i) = v.intervals.as_ref().and_then(|i| i.segments.get(k)) {
                row.push(format!("{} to {}", money(i.low), money(i.high)));
            }
            row
        })
        .collect();
    html.push_str(&table(&header, &rows));
    if let Some(t) = &v.sensitivity {
        let year =
            365.25 / crate::data::TimeUnit::days(r.settings.time_unit.parse().unwrap_or(crate::data::TimeUnit::Week));
        let mut header = vec!["horizon".to_string()];
        header.extend(t.rates.iter().map(|rate| format!("{:.1}% a year", rate * 100.0)));
        let rows: Vec<Vec<String>> = t
            .horizons
            .iter()
            .zip(&t.equity)
            .map(|(h, row)| {
                let mut cells = vec![h.map_or("no limit".to_string(), |h| format!("{:.0} years", h / year))];
                cells.extend(row.iter().map(|e| money(e * r.settings.margin)));
                cells
            })
            .collect();
        let header: Vec<&str> = header.iter().map(String::as_str).collect();
        let _ = write!(
            html,
            "<p>How customer equity moves with the discount rate and the horizon (margin {}; it scales in proportion \
             to the margin):</p>{}",
            r.settings.margin,
            table(&header, &rows)
        );
        let by_margin: Vec<String> =
            t.margins.iter().map(|(m, e)| format!("{:.0}% margin: {}", m * 100.0, money(*e))).collect();
        let _ = write!(
            html,
            "<p class=\"muted\">At the valuation's own rate and horizon: {}.</p>",
            escape(&by_margin.join("; "))
        );
    }
    let c = &r.diagnostics.concentration;
    let mut lower = 0.0;
    let categories: Vec<String> = c
        .bin_upper
        .iter()
        .enumerate()
        .map(|(k, &upper)| {
            let text = if k % 4 == 0 { format!("{lower:.0}") } else { String::new() };
            lower = upper;
            text
        })
        .collect();
    let histogram = BarChart {
        id: "clv-distribution".into(),
        title: "Distribution of customer lifetime value".into(),
        x_label: "CLV (lower edge of each bin; the last bin holds the top 1%)".into(),
        y_label: "customers".into(),
        categories,
        groups: vec![("customers".into(), c.customers.iter().map(|&n| n as f64).collect())],
    };
    html.push_str(&figure(histogram.to_svg(), "How many customers have each value: most are worth little."));
    let percent_points = |ys: &[f64]| c.top_share.iter().zip(ys).map(|(x, y)| (x * 100.0, y * 100.0)).collect();
    let concentration = LineChart {
        id: "value-concentration".into(),
        title: "Share of value held by the top customers".into(),
        x_label: "top customers by CLV (% of customers)".into(),
        y_label: "share of total value (%)".into(),
        series: vec![
            Series { name: "customers by CLV".into(), points: percent_points(&c.value_share), style: Style::Line },
            Series { name: "if all were equal".into(), points: percent_points(&c.top_share), style: Style::Dashed },
        ],
        marker: None,
    };
    let top = |p: usize| c.value_share.get(p).copied().unwrap_or(0.0);
    html.push_str(&figure(
        concentration.to_svg(),
        &format!("The top 10% of customers hold {} of the value, the top 20% {}.", percent(top(10)), percent(top(20))),
    ));
}

fn accuracy_rows(name: &str, m: &Accuracy, s: &Accuracy) -> Vec<Vec<String>> {
    let closer = |a: f64, b: f64, lower: bool| {
        if a == b {
            "tie".to_string()
        } else if (a < b) == lower {
            "model".into()
        } else {
            "simple formula".into()
        }
    };
    vec![
        vec![format!("{name}: actual total"), format!("{:.2}", m.actual_total), String::new(), String::new()],
        vec![
            "predicted total".into(),
            format!("{:.2}", m.predicted_total),
            format!("{:.2}", s.predicted_total),
            String::new(),
        ],
        vec![
            "error of the total".into(),
            percent(m.total_error()),
            percent(s.total_error()),
            closer(m.total_error().abs(), s.total_error().abs(), true),
        ],
        vec!["MAE per customer".into(), format!("{:.3}", m.mae), format!("{:.3}", s.mae), closer(m.mae, s.mae, true)],
        vec![
            "RMSE per customer".into(),
            format!("{:.3}", m.rmse),
            format!("{:.3}", s.rmse),
            closer(m.rmse, s.rmse, true),
        ],
        vec![
            "top 20% capture".into(),
            percent(m.top20_capture),
            percent(s.top20_capture),
            closer(m.top20_capture, s.top20_capture, false),
        ],
    ]
}

fn comparison_section(html: &mut String, r: &RunRecord) {
    html.push_str("<h2>The model against the simple formula</h2>");
    let d = &r.diagnostics.deciles;
    let chart = BarChart {
        id: "deciles".into(),
        title: "Mean CLV by decile of the model's ranking".into(),
        x_label: "decile (1 = the model's most valuable 10%)".into(),
        y_label: "mean CLV".into(),
        categories: (1..=d.model.len()).map(|k| k.to_string()).collect(),
        groups: vec![("model".into(), d.model.clone()), ("simple formula".into(), d.simple.clone())],
    };
    html.push_str(&figure(
        chart.to_svg(),
        "Customers ranked by the model's CLV into tenths; for each tenth, the mean CLV by the model and by the simple \
         formula (average order value × purchases per year × relationship length), which does not weigh who has \
         stopped buying.",
    ));
    match &r.comparison {
        Some(c) => {
            let mut rows = accuracy_rows("purchases", &c.purchases.0, &c.purchases.1);
            if let Some((m, s)) = &c.revenue {
                rows.extend(accuracy_rows("revenue", m, s));
            }
            let _ = write!(
                html,
                "<p>On the {:.0}-{} holdout, which neither method saw: <b>{}</b>.</p>{}",
                c.holdout_length,
                escape(&r.settings.time_unit),
                escape(&c.verdict),
                table(&["measure", "model", "simple formula", "closer"], &rows)
            );
        }
        None => html.push_str("<p>No holdout period: give a calibration end before the last date to backtest.</p>"),
    }
    html.push_str("<p class=\"muted\">How the simple formula's inputs were estimated:</p><ul>");
    for line in &r.value.simple_inputs {
        let _ = write!(html, "<li class=\"muted\">{}</li>", escape(line));
    }
    html.push_str("</ul>");
}

fn assumptions_section(html: &mut String, r: &RunRecord) {
    let s = &r.settings;
    let horizon = s
        .horizon
        .map_or("no limit (every future purchase, discounted)".to_string(), |h| format!("{h} {}s", s.time_unit));
    let _ = write!(
        html,
        "<h2>Assumptions</h2><ul><li>Discounting: {}.</li><li>Valuation horizon: {horizon}.</li><li>Margin: {} of \
         revenue is profit (1 values revenue).</li><li>Time unit: {}; purchases on the same day count once; the first \
         purchase is not a repeat purchase.</li><li>Spend per purchase follows the Gamma-Gamma model, independent of \
         how often a customer buys.</li><li>Customers who first bought after {} are not valued.</li></ul>\
         <h2>Files</h2><ul>",
        escape(&s.discounting),
        s.margin,
        escape(&s.time_unit),
        escape(&s.calibration_end)
    );
    for file in &r.files {
        let _ = write!(html, "<li><code>{}</code></li>", escape(file));
    }
    html.push_str("</ul>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped() {
        assert_eq!(money(1234567.891), "1,234,567.89");
        assert_eq!(money(-12.5), "-12.50");
        assert_eq!(money(999.999), "1,000.00");
        assert_eq!((change(5.0), change(-5.0), change(0.0)), ("+5.00".into(), "-5.00".into(), "+0.00".into()));
    }
}
