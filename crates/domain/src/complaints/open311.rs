//! Open311 GeoReport v2 at the edge: the services the categories offer, and the checks on a
//! posted service request and on the list filters, with the standard's errors (HTTP 404 for
//! an unknown service, 400 for everything else; the API key is the web layer's 403). A post
//! is parsed whole before anything is saved, so a refused post leaves nothing behind.

use super::catalogue::Catalogue;
use super::ticket::Status;
use crate::target::Lang;
use chrono::{DateTime, FixedOffset, NaiveDate};

/// Longest description the standard allows, in characters.
pub const DESCRIPTION_MAX: usize = 4000;
/// Longest date range of a `GET requests`, in days.
pub const RANGE_MAX_DAYS: i64 = 90;

/// One Open311 service: a complaint category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub service_code: String,
    pub service_name: String,
    pub description: String,
    /// Always false: no extra attributes are asked.
    pub metadata: bool,
    /// Always `realtime`: the ticket number is returned at once.
    pub kind: &'static str,
    pub keywords: String,
    pub group: String,
}

/// The services of a catalogue, named in `lang`.
pub fn services(catalogue: &Catalogue, lang: Lang) -> Vec<Service> {
    let group = match lang {
        Lang::ZhCn => "质量投诉",
        Lang::En => "Quality complaints",
    };
    catalogue
        .categories
        .iter()
        .map(|c| Service {
            service_code: c.code.clone(),
            service_name: c.label(lang).to_string(),
            description: c.label(lang).to_string(),
            metadata: false,
            kind: "realtime",
            keywords: format!("{},{}", c.zh, c.en),
            group: group.to_string(),
        })
        .collect()
}

/// One error of the standard's error body (`[{code, description}]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Error {
    /// The HTTP status and the body's code: 400 or 404.
    pub code: u16,
    /// The message id of the description (`open311-error-…`), so the web layer answers in
    /// the caller's language.
    pub key: &'static str,
    /// The message's arguments.
    pub args: Vec<(&'static str, String)>,
    /// The description in English (logs and tests).
    pub description: String,
}

fn bad(
    key: &'static str,
    args: &[(&'static str, &str)],
    description: impl Into<String>,
) -> Open311Error {
    Open311Error {
        code: 400,
        key,
        args: args.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        description: description.into(),
    }
}

/// The HTTP status of an error body: 404 when any error is a 404 (the resource is unknown,
/// nothing else matters), else 400.
pub fn http_status(errors: &[Open311Error]) -> u16 {
    if errors.iter().any(|e| e.code == 404) {
        404
    } else {
        400
    }
}

/// Where the problem is.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// WGS84 latitude and longitude, when given.
    pub point: Option<(f64, f64)>,
    pub address: Option<String>,
    pub address_id: Option<String>,
}

/// A checked `POST requests`.
#[derive(Debug, Clone, PartialEq)]
pub struct PostRequest {
    pub service_code: String,
    pub location: Location,
    pub description: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub media_url: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
}

/// The value of a form field; sent-but-empty is the same as not sent (the standard).
fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

fn coordinate(text: &str, name: &str, max: f64) -> Result<f64, Open311Error> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v.abs() <= max => Ok(v),
        _ => Err(bad(
            "open311-error-coordinate",
            &[("name", name), ("max", &max.to_string())],
            format!("{name} must be a number between -{max} and {max}"),
        )),
    }
}

/// Whether a text looks like it holds HTML markup (`<b>`, `</p>`, `<!--`).
fn has_markup(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    chars
        .windows(2)
        .any(|w| w[0] == '<' && (w[1].is_ascii_alphabetic() || w[1] == '/' || w[1] == '!'))
}

/// Checks a posted service request (its form fields, `api_key` excluded) against the known
/// service codes. Every problem is reported, not only the first.
pub fn parse_post(
    form: &[(String, String)],
    known_service: impl Fn(&str) -> bool,
) -> Result<PostRequest, Vec<Open311Error>> {
    let mut errors = Vec::new();
    let service_code = field(form, "service_code").unwrap_or("").to_string();
    if service_code.is_empty() {
        errors.push(bad(
            "open311-error-service-code-missing",
            &[],
            "service_code was not provided",
        ));
    } else if !known_service(&service_code) {
        errors.push(Open311Error {
            code: 404,
            key: "open311-error-service-code-unknown",
            args: vec![("code", service_code.clone())],
            description: format!("service_code {service_code} was not found"),
        });
    }
    let point = match (field(form, "lat"), field(form, "long")) {
        (None, None) => None,
        (Some(lat), Some(long)) => {
            match (
                coordinate(lat, "lat", 90.0),
                coordinate(long, "long", 180.0),
            ) {
                (Ok(a), Ok(b)) => Some((a, b)),
                (a, b) => {
                    errors.extend(a.err());
                    errors.extend(b.err());
                    None
                }
            }
        }
        _ => {
            errors.push(bad(
                "open311-error-lat-long-together",
                &[],
                "lat and long must be given together",
            ));
            None
        }
    };
    let location = Location {
        point,
        address: field(form, "address_string").map(str::to_string),
        address_id: field(form, "address_id").map(str::to_string),
    };
    let has_point_fields = field(form, "lat").is_some() || field(form, "long").is_some();
    if location.point.is_none()
        && !has_point_fields
        && location.address.is_none()
        && location.address_id.is_none()
    {
        errors.push(bad(
            "open311-error-location-missing",
            &[],
            "a location is required: lat and long, address_string or address_id",
        ));
    }
    let description = field(form, "description").unwrap_or("").to_string();
    if description.chars().count() > DESCRIPTION_MAX {
        errors.push(bad(
            "open311-error-description-long",
            &[("max", &DESCRIPTION_MAX.to_string())],
            format!("description is longer than {DESCRIPTION_MAX} characters"),
        ));
    }
    if has_markup(&description) {
        errors.push(bad(
            "open311-error-description-markup",
            &[],
            "description must be plain text, not HTML",
        ));
    }
    let email = field(form, "email").map(str::to_string);
    if let Some(e) = &email {
        let ok = e
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.ends_with('.'));
        if !ok {
            errors.push(bad(
                "open311-error-email",
                &[],
                "email is not an e-mail address",
            ));
        }
    }
    let media_url = field(form, "media_url").map(str::to_string);
    if let Some(u) = &media_url
        && !(u.starts_with("https://") || u.starts_with("http://"))
    {
        errors.push(bad(
            "open311-error-media-url",
            &[],
            "media_url must be an http or https URL",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let opt = |name: &str| field(form, name).map(str::to_string);
    Ok(PostRequest {
        service_code,
        location,
        description,
        email,
        phone: opt("phone"),
        first_name: opt("first_name"),
        last_name: opt("last_name"),
        media_url,
        device_id: opt("device_id"),
        account_id: opt("account_id"),
    })
}

/// The filters of a `GET requests`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// When given, overrides every other filter.
    pub ids: Vec<String>,
    pub service_codes: Vec<String>,
    /// Received on or after / on or before (dates of the given date-times, as given).
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// `None`: both open and closed.
    pub open: Option<bool>,
}

impl ListQuery {
    /// Whether a ticket's status passes the status filter.
    pub fn status_matches(&self, status: Status) -> bool {
        self.open
            .is_none_or(|open| (status.open311() == "open") == open)
    }
}

fn list(text: Option<&str>) -> Vec<String> {
    text.map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

fn datetime(text: &str, name: &str) -> Result<DateTime<FixedOffset>, Open311Error> {
    DateTime::parse_from_rfc3339(text).map_err(|_| {
        bad(
            "open311-error-datetime",
            &[("name", name)],
            format!("{name} must be a W3C date-time with a zone, e.g. 2026-03-01T00:00:00+08:00"),
        )
    })
}

/// Checks the filters of a `GET requests`; without dates the last 90 days up to `today`.
pub fn parse_query(
    query: &[(String, String)],
    today: NaiveDate,
) -> Result<ListQuery, Vec<Open311Error>> {
    let mut errors = Vec::new();
    let start = field(query, "start_date").map(|t| datetime(t, "start_date"));
    let end = field(query, "end_date").map(|t| datetime(t, "end_date"));
    let mut date = |d: Option<Result<DateTime<FixedOffset>, Open311Error>>| match d {
        Some(Ok(dt)) => Some(dt.date_naive()),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        None => None,
    };
    let (start, end) = (date(start), date(end));
    let days = chrono::Days::new(RANGE_MAX_DAYS as u64);
    let (start, end) = match (start, end) {
        (Some(s), Some(e)) => (s, e),
        (Some(s), None) => (s, s.checked_add_days(days).unwrap_or(s).min(today.max(s))),
        (None, Some(e)) => (e.checked_sub_days(days).unwrap_or(e), e),
        (None, None) => (today.checked_sub_days(days).unwrap_or(today), today),
    };
    if end < start {
        errors.push(bad(
            "open311-error-range-order",
            &[],
            "end_date is before start_date",
        ));
    } else if (end - start).num_days() > RANGE_MAX_DAYS {
        errors.push(bad(
            "open311-error-range-long",
            &[("days", &RANGE_MAX_DAYS.to_string())],
            format!("the date range may not exceed {RANGE_MAX_DAYS} days"),
        ));
    }
    let mut wanted = Vec::new();
    for s in list(field(query, "status")) {
        match s.as_str() {
            "open" => wanted.push(true),
            "closed" => wanted.push(false),
            _ => errors.push(bad(
                "open311-error-status",
                &[("status", &s)],
                format!("status {s} is neither open nor closed"),
            )),
        }
    }
    // One kind asked for filters; both (or none) do not.
    let open = match (wanted.contains(&true), wanted.contains(&false)) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ListQuery {
        ids: list(field(query, "service_request_id")),
        service_codes: list(field(query, "service_code")),
        start,
        end,
        open,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    type Form = Vec<(String, String)>;

    fn form(pairs: &[(&str, &str)]) -> Form {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn known(code: &str) -> bool {
        Catalogue::default_catalogue().category(code).is_some()
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn services_are_the_categories() {
        let s = services(&Catalogue::default_catalogue(), Lang::ZhCn);
        assert_eq!(s.len(), 8);
        assert_eq!(
            (s[0].service_code.as_str(), s[0].service_name.as_str()),
            ("food", "食品安全")
        );
        assert_eq!(s[0].kind, "realtime");
        let en = services(&Catalogue::default_catalogue(), Lang::En);
        assert_eq!(en[1].service_name, "Special equipment");
    }

    #[test]
    fn a_good_post_is_read_whole() {
        let p = parse_post(
            &form(&[
                ("service_code", "metering"),
                ("lat", "34.8"),
                ("long", "113.6"),
                ("address_string", ""),
                ("description", "菜市场的秤缺斤短两"),
                ("email", "a@example.com"),
                ("media_url", "https://example.com/p.jpg"),
                ("jurisdiction_id", "ignored"),
            ]),
            known,
        )
        .unwrap();
        assert_eq!(p.service_code, "metering");
        assert_eq!(p.location.point, Some((34.8, 113.6)));
        assert_eq!(p.location.address, None, "sent empty is not sent");
        assert_eq!(p.email.as_deref(), Some("a@example.com"));
        let by_address = parse_post(
            &form(&[
                ("service_code", "food"),
                ("address_string", "惠济区天河路1号"),
            ]),
            known,
        )
        .unwrap();
        assert_eq!(
            by_address.location.address.as_deref(),
            Some("惠济区天河路1号")
        );
    }

    #[test]
    fn bad_posts_get_the_standard_errors() {
        let long = "好".repeat(DESCRIPTION_MAX + 1);
        let cases: Vec<(Form, u16, &str)> = vec![
            (
                form(&[("lat", "1"), ("long", "2")]),
                400,
                "service_code was not provided",
            ),
            (
                form(&[("service_code", "astrology"), ("lat", "1"), ("long", "2")]),
                404,
                "service_code astrology was not found",
            ),
            (
                form(&[("service_code", "food")]),
                400,
                "a location is required",
            ),
            (
                form(&[("service_code", "food"), ("lat", "91"), ("long", "2")]),
                400,
                "lat must be a number between -90 and 90",
            ),
            (
                form(&[("service_code", "food"), ("lat", "1"), ("long", "NaN")]),
                400,
                "long must be a number",
            ),
            (
                form(&[("service_code", "food"), ("lat", "1")]),
                400,
                "lat and long must be given together",
            ),
            (
                form(&[
                    ("service_code", "food"),
                    ("address_id", "7"),
                    ("description", &long),
                ]),
                400,
                "description is longer than 4000",
            ),
            (
                form(&[
                    ("service_code", "food"),
                    ("address_id", "7"),
                    ("description", "<script>alert(1)</script>"),
                ]),
                400,
                "plain text",
            ),
            (
                form(&[
                    ("service_code", "food"),
                    ("address_id", "7"),
                    ("email", "nobody"),
                ]),
                400,
                "email",
            ),
            (
                form(&[
                    ("service_code", "food"),
                    ("address_id", "7"),
                    ("media_url", "javascript:alert(1)"),
                ]),
                400,
                "media_url",
            ),
        ];
        for (f, status, text) in cases {
            let errs = parse_post(&f, known).unwrap_err();
            assert_eq!(http_status(&errs), status, "{f:?}: {errs:?}");
            assert!(
                errs.iter().any(|e| e.description.contains(text)),
                "{f:?}: {errs:?}"
            );
        }
        // Every problem is reported at once.
        let errs = parse_post(&form(&[("email", "x"), ("description", "<b>")]), known).unwrap_err();
        assert_eq!(errs.len(), 4, "{errs:?}");
        // A description with a less-than sign that is no markup is fine.
        assert!(
            parse_post(
                &form(&[
                    ("service_code", "food"),
                    ("address_id", "7"),
                    ("description", "价格 < 10元")
                ]),
                known
            )
            .is_ok()
        );
    }

    #[test]
    fn list_filters() {
        let today = d("2026-03-31");
        let q = parse_query(&[], today).unwrap();
        assert_eq!((q.start, q.end, q.open), (d("2025-12-31"), today, None));
        let q = parse_query(
            &form(&[
                ("start_date", "2026-03-01T00:00:00+08:00"),
                ("end_date", "2026-03-20T23:59:59Z"),
                ("status", "open"),
                ("service_code", "food, metering"),
                ("service_request_id", ""),
            ]),
            today,
        )
        .unwrap();
        assert_eq!((q.start, q.end), (d("2026-03-01"), d("2026-03-20")));
        assert_eq!(q.open, Some(true));
        assert_eq!(q.service_codes, ["food", "metering"]);
        assert!(q.ids.is_empty());
        assert!(q.status_matches(Status::SentBack) && !q.status_matches(Status::Merged));
        let both = parse_query(&form(&[("status", "open,closed")]), today).unwrap();
        assert_eq!(both.open, None);
        let cases = [
            (vec![("start_date", "2026-03-01")], "W3C"),
            (
                vec![
                    ("start_date", "2025-01-01T00:00:00Z"),
                    ("end_date", "2025-06-01T00:00:00Z"),
                ],
                "90 days",
            ),
            (
                vec![
                    ("start_date", "2025-06-01T00:00:00Z"),
                    ("end_date", "2025-01-01T00:00:00Z"),
                ],
                "before",
            ),
            (vec![("status", "pending")], "neither open nor closed"),
        ];
        for (pairs, text) in cases {
            let errs = parse_query(&form(&pairs), today).unwrap_err();
            assert_eq!(http_status(&errs), 400);
            assert!(
                errs.iter().any(|e| e.description.contains(text)),
                "{pairs:?}: {errs:?}"
            );
        }
    }
}
