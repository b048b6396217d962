//! The two text formats `GET /metrics` answers in: the classic Prometheus
//! one (`text/plain; version=0.0.4`), which every scraper and check reads,
//! by default; OpenMetrics when the scraper's `Accept` asks for it.
//!
//! `prometheus-client` writes OpenMetrics only, so the classic text is made
//! from it here, line by line: a counter's `HELP` and `TYPE` name its
//! samples (`_total`), an `info` metric is a gauge of its `_info` samples,
//! `unknown` is `untyped`, and `# UNIT` lines, exemplars and `# EOF` go.
//! The samples themselves (names, labels, values) are the same in both.

/// A text format of `GET /metrics`.
///
/// ```
/// use notify_rules::server::MetricsFormat;
///
/// assert_eq!(MetricsFormat::for_accept(None), MetricsFormat::Prometheus);
/// let prometheus = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// assert_eq!(MetricsFormat::for_accept(Some(prometheus)), MetricsFormat::OpenMetrics);
/// assert_eq!(
///     MetricsFormat::Prometheus.content_type(),
///     "text/plain; version=0.0.4; charset=utf-8"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsFormat {
    /// The classic Prometheus text format, version 0.0.4.
    Prometheus,
    /// OpenMetrics 1.0.0 text.
    OpenMetrics,
}

const OPENMETRICS: &str = "application/openmetrics-text";

impl MetricsFormat {
    /// The format a scraper's `Accept` header asks for: OpenMetrics when it
    /// takes `application/openmetrics-text` at least as gladly as any other
    /// type it lists (its `q`), the classic format otherwise (no header, or
    /// one that does not name OpenMetrics, or refuses it with `q=0`).
    pub fn for_accept(accept: Option<&str>) -> MetricsFormat {
        let Some(accept) = accept else {
            return MetricsFormat::Prometheus;
        };
        let (mut open, mut other) = (0.0_f32, 0.0_f32);
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let kind = parts.next().unwrap_or_default().trim();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if kind.eq_ignore_ascii_case(OPENMETRICS) {
                open = open.max(q);
            } else if !kind.is_empty() {
                other = other.max(q);
            }
        }
        if open > 0.0 && open >= other {
            MetricsFormat::OpenMetrics
        } else {
            MetricsFormat::Prometheus
        }
    }

    /// The `Content-Type` of an answer in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            MetricsFormat::Prometheus => "text/plain; version=0.0.4; charset=utf-8",
            MetricsFormat::OpenMetrics => {
                "application/openmetrics-text; version=1.0.0; charset=utf-8"
            }
        }
    }
}

/// The classic text of `open`, what `prometheus_client` encoded.
pub(crate) fn to_classic(open: &str) -> String {
    let mut out = String::with_capacity(open.len());
    // A family's `HELP` comes before its `TYPE`, which says how its samples
    // are named: held until then.
    let mut help: Option<(&str, &str)> = None;
    for line in open.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            help = Some((name, text));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            let (suffix, kind) = match kind {
                "counter" => ("_total", "counter"),
                "info" => ("_info", "gauge"),
                "unknown" => ("", "untyped"),
                // gauge, histogram, summary: named and typed alike.
                other => ("", other),
            };
            if let Some((_, text)) = help.take().filter(|(h, _)| *h == name) {
                push_line(&mut out, &format!("# HELP {name}{suffix} {text}"));
            }
            push_line(&mut out, &format!("# TYPE {name}{suffix} {kind}"));
        } else if line.starts_with('#') {
            // `# UNIT`, `# EOF`: not in the classic format.
        } else if !line.is_empty() {
            push_line(&mut out, without_exemplar(line));
        }
    }
    out
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

/// A sample line without its exemplar (` # {...} value`), which follows the
/// value; a `#` inside the labels' quoted values is not one.
fn without_exemplar(line: &str) -> &str {
    let mut in_quotes = false;
    let mut escaped = false;
    // Labels, when there are any, come right after the name, before the
    // first space; an exemplar's come later.
    let mut labels_done = line
        .find([' ', '{'])
        .is_none_or(|i| line.as_bytes()[i] == b' ');
    for (i, c) in line.char_indices() {
        if in_quotes {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_quotes = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_quotes = true,
            '}' if !labels_done => labels_done = true,
            '#' if labels_done => return line[..i].trim_end(),
            _ => {}
        }
    }
    line
}

#[cfg(test)]
mod tests;
