//! Open311 GeoReport v2 for complaints (issue 18): discovery, services, requests, in `.json`
//! and `.xml`, with the standard's error bodies. Routes are added by the complaints module.
//!
//! Who reads which district: the `jurisdiction_id` (a district's unit code) when given, else
//! the district of the account whose API key came with the request, else the installation's
//! home district. A post needs an API key (`api_key`, a QCity API token of any active
//! account): the ticket is filed in that account's district, through channel `open311`, with
//! no more rights than the public form has. The API never reads a session cookie (the CSRF
//! layer lets its posts through for that reason, see `middleware::open311_without_cookies`).
//!
//! Errors answer in the standard's body (`[{code, description}]` or `<errors>`), in the
//! caller's language (`Accept-Language`, zh-CN by default): 404 for an unknown service,
//! request or jurisdiction, 403 for a missing or wrong key, 400 for everything else.

use crate::AppState;
use crate::ctx::client_ip;
use crate::i18n::Lang;
use crate::middleware::lang_of;
use crate::module::Routes;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, SecondsFormat};
use qcity_domain::complaints::catalogue::Catalogue;
use qcity_domain::complaints::open311::{self as rules, Open311Error};
use qcity_domain::complaints::ticket::Channel;
use qcity_domain::registry::CodeList;
use qcity_store::complaints::open311::{self as reads, PublicRequest};
use qcity_store::complaints::{self, NewTicket, registers};
use qcity_store::users::{self, User};
use qcity_store::{Actor, StoreError};
use std::net::SocketAddr;

/// The version of this API's documents (the discovery's `changeset`).
const CHANGESET: &str = "2026-03-01T00:00:00+08:00";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

type Pairs = Vec<(String, String)>;

/// Adds the Open311 routes (`/open311/v2/...`). A document's format is its file suffix; a
/// path segment holding a service code or a request number with its suffix is captured whole
/// (`{file}`) and split, since a route cannot capture part of a segment.
pub fn routes(r: Routes) -> Routes {
    r.get("/open311/v2/discovery.json", |c: Caller, q: QueryPairs| {
        discovery(c, q, Format::Json)
    })
    .get("/open311/v2/discovery.xml", |c: Caller, q: QueryPairs| {
        discovery(c, q, Format::Xml)
    })
    .get(
        "/open311/v2/services.json",
        |s: State<AppState>, c: Caller, q: QueryPairs| services(s, c, q, Format::Json),
    )
    .get(
        "/open311/v2/services.xml",
        |s: State<AppState>, c: Caller, q: QueryPairs| services(s, c, q, Format::Xml),
    )
    .get("/open311/v2/services/{file}", service_definition)
    .get(
        "/open311/v2/requests.json",
        |s: State<AppState>, c: Caller, q: QueryPairs| list_requests(s, c, q, Format::Json),
    )
    .get(
        "/open311/v2/requests.xml",
        |s: State<AppState>, c: Caller, q: QueryPairs| list_requests(s, c, q, Format::Xml),
    )
    .get("/open311/v2/requests/{file}", one_request)
    .post(
        "/open311/v2/requests.json",
        |s: State<AppState>, c: Caller, q: QueryPairs, f: Result<Form<Pairs>, FormRejection>| {
            post_request(s, c, q, f, Format::Json)
        },
    )
    .post(
        "/open311/v2/requests.xml",
        |s: State<AppState>, c: Caller, q: QueryPairs, f: Result<Form<Pairs>, FormRejection>| {
            post_request(s, c, q, f, Format::Xml)
        },
    )
}

/// A document's format, from its file suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json; charset=utf-8",
            Format::Xml => "text/xml; charset=utf-8",
        }
    }

    /// `food.json` → (`food`, JSON). A name without a known suffix has no format.
    fn split(file: &str) -> Option<(&str, Format)> {
        match file.rsplit_once('.') {
            Some((stem, "json")) if !stem.is_empty() => Some((stem, Format::Json)),
            Some((stem, "xml")) if !stem.is_empty() => Some((stem, Format::Xml)),
            _ => None,
        }
    }
}

/// A value of a document, written as JSON or as XML from the same description, so the two
/// formats cannot drift apart.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Text(String),
    Int(i64),
    Num(f64),
    Bool(bool),
    Null,
    /// A JSON array; in XML, one element of the given name per item.
    List(&'static str, Vec<V>),
    /// A JSON object; in XML, one element per field.
    Obj(Vec<(&'static str, V)>),
}

fn text(s: impl Into<String>) -> V {
    V::Text(s.into())
}

fn opt_text(s: Option<String>) -> V {
    s.map(V::Text).unwrap_or(V::Null)
}

impl V {
    fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            V::Text(s) => Value::String(s.clone()),
            V::Int(n) => Value::from(*n),
            V::Num(x) => serde_json::Number::from_f64(*x)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            V::Bool(b) => Value::Bool(*b),
            V::Null => Value::Null,
            V::List(_, items) => Value::Array(items.iter().map(V::json).collect()),
            V::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.json()))
                    .collect(),
            ),
        }
    }

    /// Writes the value as the element `name`; a null (or a number JSON cannot carry) is an
    /// empty element.
    fn xml(&self, name: &str, out: &mut String) {
        let text = match self {
            V::List(child, items) => {
                out.push_str(&format!("<{name}>"));
                items.iter().for_each(|i| i.xml(child, out));
                out.push_str(&format!("</{name}>"));
                return;
            }
            V::Obj(fields) => {
                out.push_str(&format!("<{name}>"));
                fields.iter().for_each(|(k, v)| v.xml(k, out));
                out.push_str(&format!("</{name}>"));
                return;
            }
            V::Null => None,
            V::Num(x) if !x.is_finite() => None,
            V::Num(x) => Some(x.to_string()),
            V::Text(s) => Some(escape_xml(s)),
            V::Int(n) => Some(n.to_string()),
            V::Bool(b) => Some(b.to_string()),
        };
        match text {
            Some(t) => out.push_str(&format!("<{name}>{t}</{name}>")),
            None => out.push_str(&format!("<{name}/>")),
        }
    }
}

/// Text for an XML element: the five markup characters as entities, and the characters XML
/// 1.0 does not allow at all (controls other than tab and line ends, U+FFFE, U+FFFF) left
/// out, since no escape can carry them.
fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if u32::from(c) < 0x20 => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A document: its XML root element and its content.
struct Doc {
    root: &'static str,
    body: V,
}

fn answer(format: Format, status: StatusCode, doc: &Doc) -> Response {
    let body = match format {
        Format::Json => doc.body.json().to_string(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            doc.body.xml(doc.root, &mut out);
            out
        }
    };
    (
        status,
        [(header::CONTENT_TYPE, format.content_type())],
        body,
    )
        .into_response()
}

/// A refused request: its HTTP status and the standard's errors.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    errors: Vec<(u16, String)>,
}

impl Failure {
    fn new(lang: Lang, status: StatusCode, key: &str, args: &[(&str, String)]) -> Failure {
        Failure {
            status,
            errors: vec![(status.as_u16(), lang.t_args(key, args))],
        }
    }

    /// The domain's checks, every problem at once.
    fn checks(lang: Lang, errors: &[Open311Error]) -> Failure {
        let status =
            StatusCode::from_u16(rules::http_status(errors)).unwrap_or(StatusCode::BAD_REQUEST);
        Failure {
            status,
            errors: errors
                .iter()
                .map(|e| {
                    let args: Vec<(&str, String)> =
                        e.args.iter().map(|(k, v)| (*k, v.clone())).collect();
                    (e.code, lang.t_args(e.key, &args))
                })
                .collect(),
        }
    }

    /// A store error as the standard's answer; what is not the caller's doing is logged and
    /// answered without detail.
    fn store(lang: Lang, e: StoreError) -> Failure {
        match e {
            StoreError::Invalid { code, .. } => {
                Failure::new(lang, StatusCode::BAD_REQUEST, &code, &[])
            }
            StoreError::NotFound => {
                Failure::new(lang, StatusCode::NOT_FOUND, "open311-error-not-found", &[])
            }
            StoreError::Forbidden => {
                Failure::new(lang, StatusCode::FORBIDDEN, "open311-error-api-key", &[])
            }
            StoreError::Conflict(_) => {
                Failure::new(lang, StatusCode::BAD_REQUEST, "open311-error-no-plan", &[])
            }
            other => {
                tracing::error!(error = %other, "open311: internal error");
                Failure::new(
                    lang,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "open311-error-internal",
                    &[],
                )
            }
        }
    }

    fn into_response(self, format: Format) -> Response {
        let items = self
            .errors
            .into_iter()
            .map(|(code, description)| {
                V::Obj(vec![
                    ("code", V::Int(i64::from(code))),
                    ("description", V::Text(description)),
                ])
            })
            .collect();
        let doc = Doc {
            root: "errors",
            body: V::List("error", items),
        };
        answer(format, self.status, &doc)
    }
}

fn reply(format: Format, result: Result<Doc, Failure>) -> Response {
    match result {
        Ok(doc) => answer(format, StatusCode::OK, &doc),
        Err(f) => f.into_response(format),
    }
}

/// Who asks, as far as the API cares: language and address. Never fails, and reads no
/// session: the API's credential is its key.
struct Caller {
    lang: Lang,
    ip: String,
    request_id: String,
    /// The `Authorization: Bearer` token, another way to give the API key.
    bearer: Option<String>,
    /// Where the API is, for the discovery document.
    base_url: String,
}

impl axum::extract::FromRequestParts<AppState> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let headers: &HeaderMap = &parts.headers;
        let ext: &Extensions = &parts.extensions;
        let peer = ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(Caller {
            lang: lang_of(headers),
            ip: client_ip(peer, headers, &state.config.trusted_proxies),
            request_id: headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string(),
            bearer: headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
            base_url: base_url(state, headers),
        })
    }
}

/// The query string's pairs; a malformed one is a 400 in the document's format.
type QueryPairs = Result<Query<Pairs>, QueryRejection>;

fn query_pairs(lang: Lang, q: QueryPairs) -> Result<Pairs, Failure> {
    q.map(|Query(p)| p).map_err(|_| {
        Failure::new(
            lang,
            StatusCode::BAD_REQUEST,
            "open311-error-malformed",
            &[],
        )
    })
}

/// A field's value; sent-but-empty is not sent (the standard).
fn field<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The account an API key belongs to: an active token of an account that needs no password
/// change first. Anything else is the standard's 403.
async fn key_user(state: &AppState, lang: Lang, key: &str) -> Result<User, Failure> {
    match users::token_user(&state.store, key).await {
        Ok(Some(u)) if !u.must_change_password => Ok(u),
        Ok(_) => Err(Failure::new(
            lang,
            StatusCode::FORBIDDEN,
            "open311-error-api-key",
            &[],
        )),
        Err(e) => Err(Failure::store(lang, e)),
    }
}

/// The API key of a request: `api_key` in the form or the query, or a Bearer token.
fn api_key<'a>(caller: &'a Caller, pairs: &[&'a [(String, String)]]) -> Option<&'a str> {
    pairs
        .iter()
        .find_map(|p| field(p, "api_key"))
        .or(caller.bearer.as_deref())
}

/// The district a `jurisdiction_id` names; an unknown one is the standard's 404.
async fn jurisdiction(
    state: &AppState,
    lang: Lang,
    pairs: &[(String, String)],
) -> Result<Option<i64>, Failure> {
    let Some(code) = field(pairs, "jurisdiction_id") else {
        return Ok(None);
    };
    match reads::jurisdiction(&state.store, code).await {
        Ok(Some(id)) => Ok(Some(id)),
        Ok(None) => Err(Failure::new(
            lang,
            StatusCode::NOT_FOUND,
            "open311-error-jurisdiction",
            &[("id", code.to_string())],
        )),
        Err(e) => Err(Failure::store(lang, e)),
    }
}

/// Who a read is made as: the public, of the district the module doc names.
async fn reader(state: &AppState, caller: &Caller, query: &Pairs) -> Result<Actor, Failure> {
    let mut actor = Actor::anonymous(&caller.ip, &caller.request_id);
    if let Some(owner) = jurisdiction(state, caller.lang, query).await? {
        actor.owner_id = Some(owner);
    } else if let Some(key) = api_key(caller, &[query]) {
        actor.owner_id = key_user(state, caller.lang, key).await?.owner_id;
    }
    Ok(actor)
}

async fn catalogue(state: &AppState, lang: Lang, actor: &Actor) -> Result<Catalogue, Failure> {
    registers::catalogue(&state.store, actor)
        .await
        .map_err(|e| Failure::store(lang, e))
}

/// Where the API is: the first trusted origin (the public address behind a proxy) when
/// configured, else the host the request came to.
fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    let origin = match state.config.trusted_origins.first() {
        Some(o) => o.trim_end_matches('/').to_string(),
        None => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("localhost");
            format!("http://{host}")
        }
    };
    format!("{origin}/open311/v2")
}

async fn discovery(caller: Caller, query: QueryPairs, format: Format) -> Response {
    let result = query_pairs(caller.lang, query).map(|_| discovery_doc(&caller));
    reply(format, result)
}

fn discovery_doc(caller: &Caller) -> Doc {
    let lang = caller.lang;
    let formats = V::List("format", vec![text("text/xml"), text("application/json")]);
    Doc {
        root: "discovery",
        body: V::Obj(vec![
            ("changeset", text(CHANGESET)),
            ("contact", text(lang.t("open311-contact"))),
            ("key_service", text(lang.t("open311-key-service"))),
            (
                "endpoints",
                V::List(
                    "endpoint",
                    vec![V::Obj(vec![
                        ("specification", text(SPECIFICATION)),
                        ("url", text(caller.base_url.clone())),
                        ("changeset", text(CHANGESET)),
                        ("type", text("production")),
                        ("formats", formats),
                    ])],
                ),
            ),
        ]),
    }
}

async fn services(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryPairs,
    format: Format,
) -> Response {
    reply(format, services_doc(&state, &caller, query).await)
}

async fn services_doc(
    state: &AppState,
    caller: &Caller,
    query: QueryPairs,
) -> Result<Doc, Failure> {
    let query = query_pairs(caller.lang, query)?;
    let actor = reader(state, caller, &query).await?;
    let cat = catalogue(state, caller.lang, &actor).await?;
    let items = rules::services(&cat, caller.lang.domain())
        .into_iter()
        .map(|s| {
            V::Obj(vec![
                ("service_code", text(s.service_code)),
                ("service_name", text(s.service_name)),
                ("description", text(s.description)),
                ("metadata", V::Bool(s.metadata)),
                ("type", text(s.kind)),
                ("keywords", text(s.keywords)),
                ("group", text(s.group)),
            ])
        })
        .collect();
    Ok(Doc {
        root: "services",
        body: V::List("service", items),
    })
}

/// `services/{code}.{fmt}`: the definition of a service. No service asks for attributes
/// (`metadata` is false), so the list is empty; the code must still be one of the district's.
async fn service_definition(
    State(state): State<AppState>,
    caller: Caller,
    Path(file): Path<String>,
    query: QueryPairs,
) -> Response {
    let Some((code, format)) = Format::split(&file) else {
        return not_a_document(caller.lang);
    };
    reply(format, definition_doc(&state, &caller, code, query).await)
}

async fn definition_doc(
    state: &AppState,
    caller: &Caller,
    code: &str,
    query: QueryPairs,
) -> Result<Doc, Failure> {
    let query = query_pairs(caller.lang, query)?;
    let actor = reader(state, caller, &query).await?;
    let cat = catalogue(state, caller.lang, &actor).await?;
    if cat.category(code).is_none() {
        return Err(Failure::new(
            caller.lang,
            StatusCode::NOT_FOUND,
            "open311-error-service-code-unknown",
            &[("code", code.to_string())],
        ));
    }
    Ok(Doc {
        root: "service_definition",
        body: V::Obj(vec![
            ("service_code", text(code)),
            ("attributes", V::List("attribute", Vec::new())),
        ]),
    })
}

/// A path with no `.json` or `.xml` suffix: the standard's 404, in JSON.
fn not_a_document(lang: Lang) -> Response {
    Failure::new(lang, StatusCode::NOT_FOUND, "open311-error-not-found", &[])
        .into_response(Format::Json)
}

async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryPairs,
    format: Format,
) -> Response {
    reply(format, list_doc(&state, &caller, query).await)
}

async fn list_doc(state: &AppState, caller: &Caller, query: QueryPairs) -> Result<Doc, Failure> {
    let query = query_pairs(caller.lang, query)?;
    let filters = rules::parse_query(&query, state.today())
        .map_err(|errs| Failure::checks(caller.lang, &errs))?;
    let actor = reader(state, caller, &query).await?;
    requests_doc(state, caller.lang, &actor, &filters).await
}

/// `requests/{number}.{fmt}`: one request, still as a one-element list.
async fn one_request(
    State(state): State<AppState>,
    caller: Caller,
    Path(file): Path<String>,
    query: QueryPairs,
) -> Response {
    let Some((number, format)) = Format::split(&file) else {
        return not_a_document(caller.lang);
    };
    reply(format, one_doc(&state, &caller, number, query).await)
}

async fn one_doc(
    state: &AppState,
    caller: &Caller,
    number: &str,
    query: QueryPairs,
) -> Result<Doc, Failure> {
    let query = query_pairs(caller.lang, query)?;
    let actor = reader(state, caller, &query).await?;
    let today = state.today();
    let filters = rules::ListQuery {
        ids: vec![number.to_string()],
        service_codes: Vec::new(),
        start: today,
        end: today,
        open: None,
    };
    let doc = requests_doc(state, caller.lang, &actor, &filters).await?;
    match &doc.body {
        V::List(_, items) if items.is_empty() => Err(Failure::new(
            caller.lang,
            StatusCode::NOT_FOUND,
            "open311-error-request-unknown",
            &[("id", number.to_string())],
        )),
        _ => Ok(doc),
    }
}

async fn requests_doc(
    state: &AppState,
    lang: Lang,
    actor: &Actor,
    filters: &rules::ListQuery,
) -> Result<Doc, Failure> {
    let today = state.today();
    let found = reads::requests(&state.store, actor, filters, today)
        .await
        .map_err(|e| Failure::store(lang, e))?;
    let cat = catalogue(state, lang, actor).await?;
    Ok(Doc {
        root: "service_requests",
        body: V::List(
            "request",
            found.iter().map(|r| request_obj(lang, &cat, r)).collect(),
        ),
    })
}

/// The end of the expected day, as a date-time: the ticket is due by then.
fn end_of_day(d: NaiveDate) -> String {
    format!("{d}T23:59:59+08:00")
}

/// A request as the public reads it: no contact details and no complaint text (see
/// `qcity_store::complaints::open311`).
fn request_obj(lang: Lang, cat: &Catalogue, r: &PublicRequest) -> V {
    let service_name = r
        .category
        .as_deref()
        .and_then(|c| cat.category(c))
        .map(|c| c.label(lang.domain()).to_string());
    let coordinate = |x: Option<f64>| x.map(V::Num).unwrap_or(V::Null);
    V::Obj(vec![
        ("service_request_id", text(&r.number)),
        ("status", text(r.status.open311())),
        ("status_notes", text(r.status.label(lang.domain()))),
        ("service_name", opt_text(service_name)),
        ("service_code", opt_text(r.category.clone())),
        ("agency_responsible", opt_text(r.unit_name.clone())),
        (
            "requested_datetime",
            text(r.requested.to_rfc3339_opts(SecondsFormat::Secs, false)),
        ),
        (
            "updated_datetime",
            text(r.updated.to_rfc3339_opts(SecondsFormat::Secs, false)),
        ),
        ("expected_datetime", opt_text(r.expected.map(end_of_day))),
        ("address", text(&r.address)),
        ("lat", coordinate(r.lat)),
        ("long", coordinate(r.lon)),
    ])
}

async fn post_request(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryPairs,
    form: Result<Form<Pairs>, FormRejection>,
    format: Format,
) -> Response {
    reply(format, post_doc(&state, &caller, query, form).await)
}

async fn post_doc(
    state: &AppState,
    caller: &Caller,
    query: QueryPairs,
    form: Result<Form<Pairs>, FormRejection>,
) -> Result<Doc, Failure> {
    let lang = caller.lang;
    let query = query_pairs(lang, query)?;
    let form = match form {
        Ok(Form(pairs)) => pairs,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(Failure::new(
                lang,
                e.status(),
                "open311-error-too-large",
                &[],
            ));
        }
        Err(_) => {
            return Err(Failure::new(
                lang,
                StatusCode::BAD_REQUEST,
                "open311-error-malformed",
                &[],
            ));
        }
    };
    // The key first: without it nothing else is looked at (the standard's 403).
    let Some(key) = api_key(caller, &[&form, &query]) else {
        return Err(Failure::new(
            lang,
            StatusCode::FORBIDDEN,
            "open311-error-api-key",
            &[],
        ));
    };
    let user = key_user(state, lang, key).await?;
    let actor = user.actor(&caller.ip, &caller.request_id);
    // A key files in its own account's district only.
    if let Some(named) = jurisdiction(state, lang, &form).await? {
        let own = match actor.owner_id {
            Some(id) => Some(id),
            None => state.home_owner().await.ok().flatten(),
        };
        if own != Some(named) {
            return Err(Failure::new(
                lang,
                StatusCode::FORBIDDEN,
                "open311-error-jurisdiction-key",
                &[],
            ));
        }
    }
    let cat = catalogue(state, lang, &actor).await?;
    let post = rules::parse_post(&form, |code| cat.category(code).is_some())
        .map_err(|errs| Failure::checks(lang, &errs))?;
    let new = new_ticket(&cat, &post);
    let got = complaints::intake(&state.store, &actor, &new, state.today())
        .await
        .map_err(|e| Failure::store(lang, e))?;
    Ok(Doc {
        root: "service_requests",
        body: V::List(
            "request",
            vec![V::Obj(vec![
                ("service_request_id", text(&got.number)),
                (
                    "service_notice",
                    text(lang.t_args("open311-notice", &[("number", got.number.clone())])),
                ),
                ("account_id", V::Null),
            ])],
        ),
    })
}

/// The ticket a checked post files. Without a description the service's name stands for the
/// text (the standard makes the description optional; a ticket needs one). `media_url`,
/// `device_id` and `account_id` are checked but not kept: photos are attached by upload.
fn new_ticket(cat: &Catalogue, post: &rules::PostRequest) -> NewTicket {
    let text = if post.description.trim().is_empty() {
        cat.category(&post.service_code)
            .map(|c| c.zh.clone())
            .unwrap_or_else(|| post.service_code.clone())
    } else {
        post.description.clone()
    };
    let address = post
        .location
        .address
        .clone()
        .or_else(|| post.location.address_id.clone())
        .unwrap_or_default();
    NewTicket {
        channel: Some(Channel::Open311),
        text,
        category: Some(post.service_code.clone()),
        address,
        lat: post.location.point.map(|p| p.0),
        lon: post.location.point.map(|p| p.1),
        contact_name: person_name(post.first_name.as_deref(), post.last_name.as_deref()),
        contact_phone: post.phone.clone().unwrap_or_default(),
        contact_email: post.email.clone().unwrap_or_default(),
        ..Default::default()
    }
}

/// A name from the standard's first and last name: family name first and no space for
/// Chinese names (张 + 三 = 张三), "first last" otherwise.
fn person_name(first: Option<&str>, last: Option<&str>) -> String {
    match (first, last) {
        (Some(f), Some(l)) if !(f.is_ascii() && l.is_ascii()) => format!("{l}{f}"),
        (Some(f), Some(l)) => format!("{f} {l}"),
        (Some(one), None) | (None, Some(one)) => one.to_string(),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_come_from_one_description() {
        let doc = Doc {
            root: "service_requests",
            body: V::List(
                "request",
                vec![V::Obj(vec![
                    ("service_request_id", text("2026-000001")),
                    ("address", text("A&B <路> \"1\" 'x'\u{1}\u{FFFF}")),
                    ("lat", V::Num(34.8)),
                    ("long", V::Null),
                    ("metadata", V::Bool(false)),
                ])],
            ),
        };
        let json = answer(Format::Json, StatusCode::OK, &doc);
        assert_eq!(
            json.headers()[header::CONTENT_TYPE],
            "application/json; charset=utf-8"
        );
        assert_eq!(
            doc.body.json(),
            serde_json::json!([{"service_request_id": "2026-000001", "address": "A&B <路> \"1\" 'x'\u{1}\u{FFFF}", "lat": 34.8, "long": null, "metadata": false}])
        );
        let mut xml = String::new();
        doc.body.xml(doc.root, &mut xml);
        assert_eq!(
            xml,
            "<service_requests><request><service_request_id>2026-000001</service_request_id>\
             <address>A&amp;B &lt;路&gt; &quot;1&quot; &apos;x&apos;</address><lat>34.8</lat><long/>\
             <metadata>false</metadata></request></service_requests>"
        );
    }

    #[test]
    fn a_file_name_gives_its_format() {
        assert_eq!(Format::split("food.json"), Some(("food", Format::Json)));
        assert_eq!(
            Format::split("2026-000001.xml"),
            Some(("2026-000001", Format::Xml))
        );
        assert_eq!(Format::split("food"), None);
        assert_eq!(Format::split(".json"), None);
        assert_eq!(Format::split("food.html"), None);
    }

    #[test]
    fn names_keep_their_order() {
        assert_eq!(person_name(Some("三"), Some("张")), "张三");
        assert_eq!(person_name(Some("Zach"), Some("Williams")), "Zach Williams");
        assert_eq!(person_name(None, Some("王")), "王");
        assert_eq!(person_name(None, None), "");
    }

    #[test]
    fn every_message_of_the_api_and_the_domains_checks_is_translated() {
        // The keys are passed around as values, out of sight of the crate's key test.
        let domain = include_str!("../../domain/src/complaints/open311.rs");
        let web = include_str!("open311.rs");
        let keys: Vec<&str> = [domain, web]
            .iter()
            .flat_map(|src| src.split('"'))
            .filter(|s| {
                s.starts_with("open311-")
                    && !s.ends_with('-')
                    && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            .collect();
        assert!(keys.len() >= 20, "{keys:?}");
        // A message with a variable resolves only with its arguments: give every one used.
        let args: Vec<(&str, String)> = ["name", "max", "code", "days", "status", "id", "number"]
            .iter()
            .map(|a| (*a, "x".to_string()))
            .collect();
        for key in keys {
            for lang in [Lang::ZhCn, Lang::En] {
                assert_ne!(lang.t_args(key, &args), key, "{key} in {lang:?}");
            }
        }
    }
}
