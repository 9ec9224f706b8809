//! The JSON API under `/api/v1`, described by OpenAPI at `/api/v1/openapi.json` and by an
//! offline docs page at `/api/docs`. Clients authenticate with `Authorization: Bearer <token>`
//! (from `qcity token create`) or a browser session.

pub mod acceptance;
pub mod approvals;
pub mod assessment;
pub mod imports;
pub mod indicators;
pub mod registers;
pub mod reports;
pub mod supervision;

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::Routes;
use crate::view::{PageCtx, render};
use askama::Template;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qcity_domain::plan::Diagnostic;
use qcity_domain::role::Role;
use qcity_store::StoreError;
use qcity_store::audit;
use qcity_store::auth::random_password;
use qcity_store::units::{self, Contact};
use qcity_store::users::{self, NewUser};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// The core API routes: the OpenAPI document and its docs page, accounts, units, audit.
/// Accounts, units and the audit trail answer per district; the approval rules are the
/// installation's.
pub fn core_routes(r: Routes) -> Routes {
    r.per_district(true)
        .get("/api/v1/openapi.json", openapi_json)
        .get("/api/docs", docs_page)
        .get("/api/v1/me", me)
        .get("/api/v1/units", list_units)
        .post("/api/v1/units", create_unit)
        .get("/api/v1/units/{code}", get_unit)
        .put("/api/v1/units/{code}/contact", put_contact)
        .get("/api/v1/users", list_users)
        .post("/api/v1/users", create_user)
        .post("/api/v1/users/{username}/password-reset", reset_password)
        .post("/api/v1/users/{username}/disable", disable_user)
        .post("/api/v1/users/{username}/enable", enable_user)
        .get("/api/v1/audit", list_audit)
        .per_district(false)
        .get("/api/v1/approval-rules", approvals::get_rules)
        .put("/api/v1/approval-rules", approvals::put_rule)
}

/// The plan's API routes.
pub fn plan_routes(r: Routes) -> Routes {
    r.get("/api/v1/plan", get_plan)
        .get("/api/v1/plan/versions", plan_versions)
        .upload(
            "/api/v1/plan/versions",
            crate::module::BodyLimit::Import,
            import_plan,
        )
        .upload(
            "/api/v1/plan/versions/preview",
            crate::module::BodyLimit::Import,
            preview_plan,
        )
}

/// The core API operations (accounts, units, audit) and the document's title and security; the
/// modules' operations are merged in by [`crate::modules::openapi`].
#[derive(OpenApi)]
#[openapi(
    info(title = "QCity API", version = "1", description = "质量强市创建工作平台 API. Authenticate with `Authorization: Bearer <token>` (see `qcity token create`). Errors are JSON: `{error, message, fields, detail}` with messages in the caller's language (Accept-Language)."),
    paths(me, list_units, create_unit, get_unit, put_contact, list_users, create_user, reset_password, disable_user, enable_user, list_audit, approvals::get_rules, approvals::put_rule),
    components(schemas(CreatedDto, FileDto, UserDto, UnitDto, NewUnitDto, ContactDto, NewUserDto, CreatedUserDto, AuditDto, AuditPageDto, ErrorDto, approvals::ApprovalRuleDto)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

/// The plan's API operations.
#[derive(OpenApi)]
#[openapi(
    paths(get_plan, plan_versions, import_plan, preview_plan),
    components(schemas(ErrorDto, PlanUploadDto, PlanImportedDto, PlanPreviewDto))
)]
pub struct PlanDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The answers every operation can give whatever it does, added to each operation of the
/// assembled document so that none can be forgotten: 401 without a valid token or session,
/// 403 for an account that may not use the API until it changes its password (and for a role
/// the operation refuses), 422 when a path or query parameter or the body does not parse, 413
/// when a body is larger than the route takes. Each is an [`ErrorDto`]; an operation documents
/// 404 and 409 itself where its handler can answer them.
pub fn complete_document(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::Operation;
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let error = |description: &str| {
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorDto")))
                        .build(),
                )
                .build(),
        )
    };
    let add = |op: &mut Operation, code: &str, description: &str| {
        op.responses
            .responses
            .entry(code.to_string())
            .or_insert_with(|| error(description));
    };
    for item in doc.paths.paths.values_mut() {
        let ops = [
            item.get.as_mut(),
            item.put.as_mut(),
            item.post.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ];
        for op in ops.into_iter().flatten() {
            add(op, "401", "no valid token or session");
            add(
                op,
                "403",
                "the caller may not do this, or must change its password first",
            );
            let takes_input =
                op.parameters.as_ref().is_some_and(|p| !p.is_empty()) || op.request_body.is_some();
            if takes_input {
                add(op, "422", "a parameter or the body is not valid");
            }
            if op.request_body.is_some() {
                add(op, "413", "the body is larger than this operation takes");
            }
        }
    }
}

/// JSON request bodies: malformed or mistyped input becomes a 422 with the field named.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> AppError {
    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::PayloadTooLarge;
    }
    let key = match &rej {
        JsonRejection::MissingJsonContentType(_) => "error-json-content-type",
        JsonRejection::JsonSyntaxError(_) => "error-json-syntax",
        _ => "error-json-invalid",
    };
    // serde names the failing field as "path: reason"; keep the path for the field map.
    let text = rej.body_text();
    let field = text
        .rsplit_once("target type: ")
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.split_once(": "))
        .map(|(path, _)| path.to_string())
        .filter(|p| !p.contains(' '))
        .unwrap_or_else(|| "body".into());
    AppError::Validation(vec![(field, key.to_string())])
}

/// A YYYY-MM-DD field of a request body, or the field's 422 naming the expected form.
pub fn date_field(field: &str, text: &str) -> Result<chrono::NaiveDate, AppError> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::Validation(vec![(field.into(), "error-date-format".into())]))
}

/// A rule set's diagnostics (assessment scheme, acceptance sheet, credit rules) as one 422 on
/// `field`: each problem on its own line in the caller's language, with its TOML path and line,
/// as the pages list them. Nothing was saved.
pub fn rule_problems(ctx: &Ctx, field: &str, mut diags: Vec<Diagnostic>) -> AppError {
    diags.sort_by_key(|d| d.line.unwrap_or(0));
    let lang = ctx.lang.domain();
    let text = diags
        .iter()
        .map(|d| {
            let mark = if d.is_error() { "" } else { "⚠ " };
            let path = if d.path.is_empty() {
                String::new()
            } else {
                format!("{}: ", d.path)
            };
            let line = d
                .line
                .map(|l| format!(" ({} {l})", ctx.t("plan-line")))
                .unwrap_or_default();
            format!("{mark}{path}{}{line}", d.message(lang))
        })
        .collect::<Vec<_>>()
        .join("\n");
    // Already in the caller's language: the error renderer passes text that is no message key
    // through as it is.
    AppError::Validation(vec![(field.into(), text)])
}

/// A rule set as TOML (as the page's editor shows it), to replace the one in force.
#[derive(Deserialize, ToSchema)]
pub struct RulesTomlDto {
    /// The whole rule set; checked before it is saved, all or nothing.
    #[schema(min_length = 1)]
    toml: String,
}

impl RulesTomlDto {
    pub fn toml(&self) -> &str {
        &self.toml
    }
}

/// The id of what was created.
#[derive(Serialize, ToSchema)]
pub struct CreatedDto {
    pub id: i64,
}

/// A file sent in a JSON body.
#[derive(Deserialize, ToSchema)]
pub struct FileDto {
    filename: String,
    /// The file's bytes, base64 (standard alphabet).
    content_base64: String,
}

impl FileDto {
    /// The decoded file; bad base64 is refused beside `field`.
    pub fn upload(self, field: &str) -> Result<qcity_store::evidence::Upload, AppError> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.content_base64.as_bytes())
            .map_err(|_| AppError::Validation(vec![(field.into(), "error-file-base64".into())]))?;
        Ok(qcity_store::evidence::Upload {
            filename: self.filename,
            bytes,
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDto {
    /// Machine-readable code: unauthorized, forbidden, not_found, validation, conflict, …
    error: String,
    /// The error in the caller's language.
    message: String,
    /// Field name → message, for validation errors.
    fields: std::collections::BTreeMap<String, String>,
    detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserDto {
    username: String,
    display_name: String,
    /// office, unit, leader or evaluator
    role: String,
    unit: Option<String>,
    must_change_password: bool,
    disabled: bool,
}

impl From<users::User> for UserDto {
    fn from(u: users::User) -> Self {
        UserDto {
            username: u.username,
            display_name: u.display_name,
            role: u.role.as_str().into(),
            unit: u.unit_code,
            must_change_password: u.must_change_password,
            disabled: u.disabled,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UnitDto {
    code: String,
    name: String,
    /// city, district, office, member, group or external
    kind: String,
    parent: Option<String>,
    /// Contact details are empty unless the caller may read this unit.
    contact: ContactDto,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct ContactDto {
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

impl From<units::Unit> for UnitDto {
    fn from(u: units::Unit) -> Self {
        UnitDto {
            code: u.code,
            name: u.name,
            kind: u.kind,
            parent: u.parent_code,
            contact: ContactDto {
                name: u.contact_name,
                phone: u.contact_phone,
                email: u.contact_email,
            },
        }
    }
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    Json(&state.assembly.openapi).into_response()
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = UserDto), (status = 401, body = ErrorDto)))]
async fn me(ctx: Ctx) -> Result<Json<UserDto>, AppError> {
    Ok(Json(ctx.user()?.clone().into()))
}

/// All org units (city → district → member units).
#[utoipa::path(get, path = "/api/v1/units", tag = "units",
    responses((status = 200, body = Vec<UnitDto>), (status = 401, body = ErrorDto)))]
async fn list_units(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<UnitDto>>, AppError> {
    ctx.user()?;
    let list = units::list(&state.store, &ctx.actor()).await?;
    Ok(Json(list.into_iter().map(UnitDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUnitDto {
    /// Upper-case short code, e.g. ZJFJ
    code: String,
    name: String,
    /// city, district, office, member, group or external
    kind: String,
    #[serde(default)]
    parent: Option<String>,
}

/// Adds a unit that the plan does not name (office only).
#[utoipa::path(post, path = "/api/v1/units", tag = "units", request_body = NewUnitDto,
    responses((status = 201, body = UnitDto), (status = 403, body = ErrorDto), (status = 422, body = ErrorDto)))]
async fn create_unit(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(n): ApiJson<NewUnitDto>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let unit = units::create(
        &state.store,
        &ctx.actor(),
        &n.code,
        &n.name,
        &n.kind,
        n.parent.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(UnitDto::from(unit))).into_response())
}

/// One unit by code.
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "units",
    params(("code" = String, Path, description = "unit code, e.g. ZJFJ")),
    responses((status = 200, body = UnitDto), (status = 404, body = ErrorDto)))]
async fn get_unit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<UnitDto>, AppError> {
    ctx.user()?;
    Ok(Json(
        units::get(&state.store, &ctx.actor(), &code).await?.into(),
    ))
}

/// Replaces a unit's contact details (its own staff or the office).
#[utoipa::path(put, path = "/api/v1/units/{code}/contact", tag = "units",
    params(("code" = String, Path, description = "unit code")),
    request_body = ContactDto,
    responses((status = 200, body = UnitDto), (status = 404, body = ErrorDto)))]
async fn put_contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    ApiJson(c): ApiJson<ContactDto>,
) -> Result<Json<UnitDto>, AppError> {
    ctx.user()?;
    let unit = units::update_contact(
        &state.store,
        &ctx.actor(),
        &code,
        Contact {
            name: &c.name,
            phone: &c.phone,
            email: &c.email,
        },
    )
    .await?;
    Ok(Json(unit.into()))
}

/// Accounts the caller may see.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts",
    responses((status = 200, body = Vec<UserDto>), (status = 401, body = ErrorDto)))]
async fn list_users(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<UserDto>>, AppError> {
    ctx.user()?;
    let list = users::list(&state.store, &ctx.actor()).await?;
    Ok(Json(list.into_iter().map(UserDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct NewUserDto {
    username: String,
    #[serde(default)]
    display_name: String,
    /// office, unit, leader or evaluator
    role: String,
    /// Unit code; required for role `unit`.
    #[serde(default)]
    unit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUserDto {
    user: UserDto,
    /// Shown once; the user must change it at first sign-in.
    one_time_password: String,
}

/// Creates an account (office only) with a one-time password.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUserDto,
    responses((status = 201, body = CreatedUserDto), (status = 403, body = ErrorDto), (status = 422, body = ErrorDto)))]
async fn create_user(
    State(state): State<AppState>,
    ctx: Ctx,
    ApiJson(n): ApiJson<NewUserDto>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let role = n
        .role
        .parse::<Role>()
        .map_err(|_| AppError::Validation(vec![("role".into(), "error-role-unknown".into())]))?;
    let password = random_password();
    let user = users::create(
        &state.store,
        &ctx.actor(),
        NewUser {
            username: n.username.trim(),
            display_name: &n.display_name,
            role,
            unit_code: n.unit.as_deref(),
            password: &password,
            must_change_password: true,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedUserDto {
            user: user.into(),
            one_time_password: password,
        }),
    )
        .into_response())
}

/// Gives an account a new one-time password (office only), as the accounts page does: its
/// sessions and API tokens end, a sign-in lock is lifted, and the user must change the password
/// at the next sign-in.
#[utoipa::path(post, path = "/api/v1/users/{username}/password-reset", tag = "accounts",
    params(("username" = String, Path)),
    responses((status = 200, body = CreatedUserDto, description = "the account and its one-time password, shown once"),
              (status = 403, body = ErrorDto, description = "not the office"), (status = 404, body = ErrorDto)))]
async fn reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(username): Path<String>,
) -> Result<Json<CreatedUserDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let actor = ctx.actor();
    let password = random_password();
    users::set_password(&state.store, &actor, &username, &password, true).await?;
    let user = users::get(&state.store, &actor, &username).await?;
    Ok(Json(CreatedUserDto {
        user: user.into(),
        one_time_password: password,
    }))
}

/// Disables an account (office only): its sessions end and its API tokens are revoked for good.
#[utoipa::path(post, path = "/api/v1/users/{username}/disable", tag = "accounts",
    params(("username" = String, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorDto, description = "not the office"),
              (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "an account cannot disable itself")))]
async fn disable_user(
    state: State<AppState>,
    ctx: Ctx,
    path: Path<String>,
) -> Result<Json<UserDto>, AppError> {
    set_disabled(state, ctx, path, true).await
}

/// Enables a disabled account again (office only); tokens revoked when it was disabled stay
/// revoked.
#[utoipa::path(post, path = "/api/v1/users/{username}/enable", tag = "accounts",
    params(("username" = String, Path)),
    responses((status = 200, body = UserDto), (status = 403, body = ErrorDto, description = "not the office"),
              (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "an account cannot enable itself")))]
async fn enable_user(
    state: State<AppState>,
    ctx: Ctx,
    path: Path<String>,
) -> Result<Json<UserDto>, AppError> {
    set_disabled(state, ctx, path, false).await
}

async fn set_disabled(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(username): Path<String>,
    disabled: bool,
) -> Result<Json<UserDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let actor = ctx.actor();
    match users::set_disabled(&state.store, &actor, &username, disabled).await {
        Err(StoreError::Conflict(c)) if c == "cannot_disable_self" => {
            Err(AppError::Conflict("error-cannot-disable-self".into()))
        }
        other => other.map_err(AppError::from),
    }?;
    Ok(Json(
        users::get(&state.store, &actor, &username).await?.into(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct AuditDto {
    seq: i64,
    /// UTC, RFC 3339
    at: String,
    actor: String,
    role: String,
    unit: String,
    action: String,
    target_type: String,
    target_id: String,
    before: serde_json::Value,
    after: serde_json::Value,
    ip: String,
    request_id: String,
    hash: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPageDto {
    total: i64,
    records: Vec<AuditDto>,
}

/// The audit trail, newest first (office only). Filters: actor, action (prefix), target, from, to (YYYY-MM-DD), page.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(("actor" = Option<String>, Query), ("action" = Option<String>, Query), ("target" = Option<String>, Query),
           ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("page" = Option<i64>, Query)),
    responses((status = 200, body = AuditPageDto), (status = 403, body = ErrorDto)))]
async fn list_audit(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<crate::pages::admin::AuditQuery>,
) -> Result<Json<AuditPageDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let (recs, total) = audit::list(&state.store, &ctx.actor(), &q.filter(100)).await?;
    let records = recs
        .into_iter()
        .map(|r| AuditDto {
            seq: r.seq,
            before: serde_json::from_str(&r.before_json).unwrap_or(serde_json::Value::Null),
            after: serde_json::from_str(&r.after_json).unwrap_or(serde_json::Value::Null),
            at: r.at,
            actor: r.actor,
            role: r.role,
            unit: r.unit,
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            ip: r.ip,
            request_id: r.request_id,
            hash: r.hash,
        })
        .collect();
    Ok(Json(AuditPageDto { total, records }))
}

/// The current plan as JSON: top-level arrays `units`, `phases`, `indicators` (with `target` and
/// `target_explained`), `tasks`, `categories` → `items` → `contents` (with `deadline`,
/// `lead_units`, `undertaking_units`, `notes`); every element has a `code`.
#[utoipa::path(get, path = "/api/v1/plan", tag = "plan",
    responses((status = 200, description = "the plan (see docs/plan-format.md)", content_type = "application/json"),
              (status = 409, body = ErrorDto, description = "no plan loaded")))]
async fn get_plan(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let (version, plan) = crate::view::require_plan(&state, &ctx).await?;
    let mut v =
        serde_json::to_value(plan.export()).map_err(|e| AppError::Internal(e.to_string()))?;
    v["version"] = serde_json::json!(version);
    Ok(Json(v).into_response())
}

/// Every plan version with its diff against the one before (office and leaders).
#[utoipa::path(get, path = "/api/v1/plan/versions", tag = "plan",
    responses((status = 200, description = "versions, newest first, each with added/removed/changed", content_type = "application/json"),
              (status = 403, body = ErrorDto)))]
async fn plan_versions(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office, Role::Leader])?;
    Ok(Json(qcity_store::plan::versions(&state.store, &ctx.actor()).await?).into_response())
}

/// One operation on the docs page.
struct DocOp {
    method: String,
    path: String,
    summary: String,
    description: String,
    params: Vec<String>,
    body: String,
    responses: Vec<String>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    ctx: PageCtx,
    title: String,
    description: String,
    ops: Vec<DocOp>,
    schemas: Vec<(String, String)>,
}

/// The API described from the same OpenAPI document, rendered on the server: works offline.
async fn docs_page(State(state): State<AppState>, ctx: Ctx) -> Response {
    let doc = &state.assembly.openapi;
    let json = serde_json::to_value(doc).unwrap_or_default();
    let mut ops = Vec::new();
    if let Some(paths) = json["paths"].as_object() {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                let params = op["parameters"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|p| {
                                format!(
                                    "{} ({}){}",
                                    p["name"].as_str().unwrap_or(""),
                                    p["in"].as_str().unwrap_or(""),
                                    if p["required"].as_bool().unwrap_or(false) {
                                        " *"
                                    } else {
                                        ""
                                    }
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let content = &op["requestBody"]["content"];
                let body = content["application/json"]["schema"]["$ref"]
                    .as_str()
                    .or(content["multipart/form-data"]["schema"]["$ref"].as_str())
                    .map(|r| r.rsplit('/').next().unwrap_or(r).to_string())
                    .unwrap_or_default();
                let responses = op["responses"]
                    .as_object()
                    .map(|r| {
                        r.iter()
                            .map(|(code, v)| {
                                format!("{code} {}", v["description"].as_str().unwrap_or(""))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                ops.push(DocOp {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: op["summary"].as_str().unwrap_or("").to_string(),
                    description: op["description"].as_str().unwrap_or("").to_string(),
                    params,
                    body,
                    responses,
                });
            }
        }
    }
    let schemas = json["components"]["schemas"]
        .as_object()
        .map(|s| {
            s.iter()
                .map(|(name, schema)| {
                    (
                        name.clone(),
                        serde_json::to_string_pretty(schema).unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    render(&DocsPage {
        ctx: ctx.page(),
        title: json["info"]["title"].as_str().unwrap_or("").to_string(),
        description: json["info"]["description"]
            .as_str()
            .unwrap_or("")
            .to_string(),
        ops,
        schemas,
    })
}

/// The multipart form of a plan import: one file.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PlanUploadDto {
    /// The plan as TOML (docs/plan-format.md) or as the workbook QCity exports.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// A plan import's result.
#[derive(Serialize, ToSchema)]
pub struct PlanImportedDto {
    /// The version now current.
    pub version: i64,
    /// False when the file was the current plan already (nothing changed).
    pub created: bool,
}

/// Imports a plan file as a new version (office only), as the 方案版本 page does; a file with
/// problems is refused whole (422, each problem with its place under `fields.file`).
#[utoipa::path(post, path = "/api/v1/plan/versions", tag = "plan",
    request_body(content = PlanUploadDto, content_type = "multipart/form-data"),
    responses((status = 201, body = PlanImportedDto), (status = 200, body = PlanImportedDto, description = "the same plan: no new version"),
              (status = 503, body = ErrorDto, description = "every import slot is busy; try again (Retry-After)")))]
async fn import_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let form = crate::upload::read_form(req, &state, state.config.max_import_bytes as u64).await?;
    let file = form.api_file("file", "plan-import-no-file")?;
    let (plan, format) = crate::pages::plan_versions::read_file(&state, &ctx, file).await??;
    let imported = qcity_store::plan::import(
        &state.store,
        &ctx.actor(),
        &plan,
        format,
        &file.name,
        ctx.today,
    )
    .await?;
    Ok((
        if imported.created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        Json(PlanImportedDto {
            version: imported.version,
            created: imported.created,
        }),
    )
        .into_response())
}

/// What importing a plan file would do, before anything changes.
#[derive(Serialize, ToSchema)]
pub struct PlanPreviewDto {
    /// The version compared with (0 when there is none).
    pub base_version: i64,
    /// Elements added, removed, and fields changed.
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    /// Every change in words, in the caller's language.
    pub changes: Vec<String>,
    /// Obligations that would be added, retired, brought back and given a new due date.
    pub obligations_added: usize,
    pub obligations_retired: usize,
    pub obligations_revived: usize,
    pub obligations_rescheduled: usize,
    /// Obligations overdue today that would stop being overdue, and the reverse.
    pub stop_overdue: usize,
    pub become_overdue: usize,
    /// The district's completion rate (percent) today and after the import; null when nothing
    /// is due yet.
    pub completion_before: Option<f64>,
    pub completion_after: Option<f64>,
    pub overdue_before: usize,
    pub overdue_after: usize,
}

/// Previews a plan file (office only): its differences from the current version in words and
/// its effect on the obligations and the district's figures, as the 方案版本 page shows before
/// the office confirms. Nothing is written.
#[utoipa::path(post, path = "/api/v1/plan/versions/preview", tag = "plan",
    request_body(content = PlanUploadDto, content_type = "multipart/form-data"),
    responses((status = 200, body = PlanPreviewDto),
              (status = 503, body = ErrorDto, description = "every import slot is busy; try again (Retry-After)")))]
async fn preview_plan(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let form = crate::upload::read_form(req, &state, state.config.max_import_bytes as u64).await?;
    let file = form.api_file("file", "plan-import-no-file")?;
    use crate::pages::plan_versions::{changes_in_words, read_file, unit_names_with_current};
    let (plan, _) = read_file(&state, &ctx, file).await??;
    let p = qcity_store::plan::preview(&state.store, &ctx.actor(), &plan, ctx.today).await?;
    let names = unit_names_with_current(&state, &ctx, &plan).await?;
    let o = &p.obligations;
    Ok(Json(PlanPreviewDto {
        base_version: p.base_version,
        added: p.diff.added.len(),
        removed: p.diff.removed.len(),
        changed: p.diff.changed.len(),
        changes: changes_in_words(&p.diff, &names, &ctx)
            .into_iter()
            .map(|c| c.text)
            .collect(),
        obligations_added: o.summary.added,
        obligations_retired: o.summary.retired,
        obligations_revived: o.summary.revived,
        obligations_rescheduled: o.summary.rescheduled,
        stop_overdue: o.stop_overdue,
        become_overdue: o.become_overdue,
        completion_before: o.before.completion_rate(),
        completion_after: o.after.completion_rate(),
        overdue_before: o.before.overdue,
        overdue_after: o.after.overdue,
    })
    .into_response())
}
