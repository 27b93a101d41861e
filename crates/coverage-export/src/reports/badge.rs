//! The coverage badge: an SVG file and a shields.io endpoint document.

use serde_json::{Value, json};

use super::show_percent;

/// The shields.io color for a percentage.
pub fn badge_color(percent: Option<f64>) -> &'static str {
    match percent {
        None => "lightgrey",
        Some(p) if p >= 90.0 => "brightgreen",
        Some(p) if p >= 80.0 => "green",
        Some(p) if p >= 70.0 => "yellowgreen",
        Some(p) if p >= 60.0 => "yellow",
        Some(p) if p >= 50.0 => "orange",
        Some(_) => "red",
    }
}

fn hex(color: &str) -> &'static str {
    match color {
        "brightgreen" => "#4c1",
        "green" => "#97ca00",
        "yellowgreen" => "#a4a61d",
        "yellow" => "#dfb317",
        "orange" => "#fe7d37",
        "red" => "#e05d44",
        _ => "#9f9f9f",
    }
}

/// A shields.io endpoint document (`https://img.shields.io/endpoint?url=...`).
pub fn shields_endpoint(label: &str, percent: Option<f64>) -> Value {
    json!({
        "schemaVersion": 1,
        "label": label,
        "message": message(percent),
        "color": badge_color(percent),
    })
}

fn message(percent: Option<f64>) -> String {
    match percent {
        Some(_) => show_percent(percent),
        None => "unknown".to_owned(),
    }
}

// Verdana 11px, as shields.io renders: about 7 px per character, plus padding.
fn text_width(text: &str) -> usize {
    text.chars().count() * 7 + 10
}

/// A flat badge `label | 88.1%` in the shields.io style, self-contained.
pub fn badge_svg(label: &str, percent: Option<f64>) -> String {
    let value = message(percent);
    let color = hex(badge_color(percent));
    let (lw, vw) = (text_width(label), text_width(&value));
    let width = lw + vw;
    let (lx, vx) = (lw * 5, lw * 10 + vw * 5);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{label}: {value}"><title>{label}: {value}</title><linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)"><rect width="{lw}" height="20" fill="#555"/><rect x="{lw}" width="{vw}" height="20" fill="{color}"/><rect width="{width}" height="20" fill="url(#s)"/></g><g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="110"><text x="{lx}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">{label}</text><text x="{lx}" y="140" transform="scale(.1)">{label}</text><text x="{vx}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)">{value}</text><text x="{vx}" y="140" transform="scale(.1)">{value}</text></g></svg>
"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colors_follow_the_percentage() {
        assert_eq!(badge_color(Some(95.0)), "brightgreen");
        assert_eq!(badge_color(Some(88.1)), "green");
        assert_eq!(badge_color(Some(12.0)), "red");
        assert_eq!(badge_color(None), "lightgrey");
        assert_eq!(
            shields_endpoint("coverage", Some(88.16)),
            json!({"schemaVersion": 1, "label": "coverage", "message": "88.1%", "color": "green"})
        );
    }

    #[test]
    fn the_svg_names_label_value_and_color() {
        let svg = badge_svg("coverage", Some(88.1));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("<title>coverage: 88.1%</title>"));
        assert!(svg.contains("fill=\"#97ca00\""));
    }
}
