//! The office's administration pages: accounts and the audit trail.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::listing::{Listing, SortKey, Sorts};
use crate::middleware::see_other;
use crate::module::Routes;
use crate::view::local_time;
use crate::view::{PageCtx, render, unprocessable};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use qcity_domain::role::Role;
use qcity_store::StoreError;
use qcity_store::audit::{self, AuditRecord};
use qcity_store::auth::random_password;
use qcity_store::units::{self, Unit};
use qcity_store::users::{self, NewUser, User};
use serde::Deserialize;

/// Accounts and the audit trail are kept per district (each office administers its own
/// units' accounts); the approval rules are the installation's.
pub fn routes(r: Routes) -> Routes {
    r.per_district(true)
        .get("/admin/users", users_page)
        .post("/admin/users", add_user)
        .post("/admin/users/{username}/reset", reset_password)
        .post("/admin/users/{username}/disable", disable_user)
        .post("/admin/users/{username}/enable", enable_user)
        .get("/admin/audit", audit_page)
        .per_district(false)
        .get("/admin/approvals", approvals_page)
        .post("/admin/approvals", save_approvals)
}

/// One kind of decision on the approvals page.
struct ApprovalRow {
    code: &'static str,
    label: String,
    four_eyes: bool,
    objection_days: u32,
    has_objection_period: bool,
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage {
    ctx: PageCtx,
    rows: Vec<ApprovalRow>,
    saved: bool,
    errors: Vec<String>,
}

async fn approvals_view(
    state: &AppState,
    ctx: &Ctx,
    saved: bool,
    errors: Vec<String>,
) -> Result<Response, AppError> {
    ctx.actor().require_admin()?;
    let rows = qcity_store::approvals::rules(&state.store)
        .await?
        .into_iter()
        .map(|r| ApprovalRow {
            code: r.kind.code(),
            label: ctx.t(&format!("approval-kind-{}", r.kind.code())),
            four_eyes: r.four_eyes,
            objection_days: r.objection_days,
            has_objection_period: r.kind.has_objection_period(),
        })
        .collect();
    let page = render(&ApprovalsPage {
        ctx: ctx.page(),
        rows,
        saved,
        errors: errors.clone(),
    });
    Ok(if errors.is_empty() {
        page
    } else {
        unprocessable(page)
    })
}

#[derive(Deserialize)]
struct SavedQuery {
    #[serde(default)]
    saved: String,
}

async fn approvals_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    approvals_view(&state, &ctx, !q.saved.is_empty(), vec![]).await
}

/// Saves every kind's rule from the form (`four_eyes_<kind>` checked or absent,
/// `objection_days_<kind>`).
async fn save_approvals(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    use qcity_domain::approval::{Kind, Rule};
    ctx.user()?;
    let value = |name: String| {
        form.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim().to_string())
    };
    for kind in Kind::ALL {
        let days = match value(format!("objection_days_{}", kind.code())) {
            None => 0,
            Some(text) if text.is_empty() => 0,
            Some(text) => match text.parse::<u32>() {
                Ok(d) => d,
                Err(_) => {
                    let msg = ctx.t("error-objection-days");
                    return approvals_view(&state, &ctx, false, vec![msg]).await;
                }
            },
        };
        let rule = Rule {
            kind,
            four_eyes: value(format!("four_eyes_{}", kind.code())).is_some(),
            objection_days: days,
        };
        match qcity_store::approvals::set(&state.store, &ctx.actor(), rule).await {
            Ok(()) => {}
            Err(StoreError::Invalid { code, .. }) => {
                let msg = ctx.t(&code);
                return approvals_view(&state, &ctx, false, vec![msg]).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(see_other("/admin/approvals?saved=1"))
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    ctx: PageCtx,
    users: Vec<User>,
    list: Listing,
    units: Vec<Unit>,
    form: NewUserForm,
    errors: Vec<(String, String)>,
    roles: Vec<(String, String)>,
    /// The approval rules are the installation's: shown to its home district only.
    approvals_link: bool,
}

impl UsersPage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

#[derive(Deserialize, Default, Clone)]
struct NewUserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit: String,
}

/// The accounts list's page and order.
#[derive(Deserialize, Default)]
struct UsersQuery {
    #[serde(default)]
    page: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
}

const USER_SORTS: Sorts = Sorts {
    keys: &[
        SortKey {
            key: "username",
            column: "u.username",
        },
        SortKey {
            key: "name",
            column: "u.display_name",
        },
        SortKey {
            key: "role",
            column: "u.role",
        },
        SortKey {
            key: "unit",
            column: "o.name",
        },
    ],
    default_key: "username",
    default_desc: false,
};

async fn users_view(
    state: &AppState,
    ctx: &Ctx,
    form: NewUserForm,
    errors: Vec<(String, String)>,
    uq: UsersQuery,
) -> Result<Response, AppError> {
    let actor = ctx.actor();
    let listing = Listing::new("/admin/users", &USER_SORTS, &uq.page, &uq.sort, &uq.dir);
    let (list, total) = users::list_page(
        &state.store,
        &actor,
        listing.order(),
        listing.limit(),
        listing.offset(),
    )
    .await?;
    let roles = Role::ALL
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                ctx.t(&format!("role-{}", r.as_str())),
            )
        })
        .collect();
    let page = UsersPage {
        ctx: ctx.page(),
        users: list,
        list: listing.with_total(total),
        units: units::list(&state.store, &actor).await?,
        form,
        errors,
        roles,
        approvals_link: !ctx.other_district,
    };
    Ok(render(&page))
}

async fn users_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(uq): Query<UsersQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    users_view(&state, &ctx, NewUserForm::default(), vec![], uq).await
}

#[derive(Template)]
#[template(path = "secret.html")]
struct SecretPage {
    ctx: PageCtx,
    username: String,
    password: String,
    created: bool,
}

/// Creates an account with a one-time password shown once; the user must change it at first sign-in.
async fn add_user(
    State(state): State<AppState>,
    ctx: Ctx,
    Form(f): Form<NewUserForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let role = match f.role.parse::<Role>() {
        Ok(r) => r,
        Err(_) => {
            let errs = vec![("role".to_string(), ctx.t("error-role-unknown"))];
            return users_view(&state, &ctx, f, errs, UsersQuery::default())
                .await
                .map(unprocessable);
        }
    };
    let password = random_password();
    let result = users::create(
        &state.store,
        &ctx.actor(),
        NewUser {
            username: f.username.trim(),
            display_name: &f.display_name,
            role,
            unit_code: Some(f.unit.as_str()).filter(|u| !u.is_empty()),
            password: &password,
            must_change_password: true,
        },
    )
    .await;
    match result {
        Ok(user) => Ok(render(&SecretPage {
            ctx: ctx.page(),
            username: user.username,
            password,
            created: true,
        })),
        Err(StoreError::Invalid { field, code }) => {
            let errs = vec![(field, ctx.t(&code))];
            users_view(&state, &ctx, f, errs, UsersQuery::default())
                .await
                .map(unprocessable)
        }
        Err(e) => Err(e.into()),
    }
}

async fn reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(username): Path<String>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let password = random_password();
    users::set_password(&state.store, &ctx.actor(), &username, &password, true).await?;
    Ok(render(&SecretPage {
        ctx: ctx.page(),
        username,
        password,
        created: false,
    }))
}

async fn disable_user(
    state: State<AppState>,
    ctx: Ctx,
    path: Path<String>,
) -> Result<Response, AppError> {
    set_disabled(state, ctx, path, true).await
}

async fn enable_user(
    state: State<AppState>,
    ctx: Ctx,
    path: Path<String>,
) -> Result<Response, AppError> {
    set_disabled(state, ctx, path, false).await
}

async fn set_disabled(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(username): Path<String>,
    disabled: bool,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    match users::set_disabled(&state.store, &ctx.actor(), &username, disabled).await {
        Err(StoreError::Conflict(c)) if c == "cannot_disable_self" => {
            Err(AppError::Conflict("error-cannot-disable-self".into()))
        }
        other => other.map_err(AppError::from),
    }?;
    Ok(see_other("/admin/users"))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    ctx: PageCtx,
    records: Vec<AuditRow>,
    q: AuditQuery,
    list: Listing,
}

struct AuditRow {
    rec: AuditRecord,
    local_at: String,
    /// The role in the reader's words (system actors have none).
    role: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub page: Option<i64>,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub dir: String,
}

/// The audit page's sortable columns (newest first by default).
const AUDIT_SORTS: Sorts = Sorts {
    keys: &[
        SortKey {
            key: "seq",
            column: "seq",
        },
        SortKey {
            key: "at",
            column: "at",
        },
        SortKey {
            key: "actor",
            column: "actor",
        },
        SortKey {
            key: "action",
            column: "action",
        },
    ],
    default_key: "seq",
    default_desc: true,
};

impl AuditQuery {
    fn listing(&self) -> Listing {
        let page = self.page.map(|p| p.to_string()).unwrap_or_default();
        Listing::new("/admin/audit", &AUDIT_SORTS, &page, &self.sort, &self.dir)
            .keep("actor", &self.actor)
            .keep("action", &self.action)
            .keep("target", &self.target)
            .keep("from", &self.from)
            .keep("to", &self.to)
    }

    pub fn filter(&self, per_page: i64) -> audit::Filter {
        let page = self.page.unwrap_or(1).clamp(1, 1_000_000);
        audit::Filter {
            actor: Some(self.actor.trim().to_string()),
            action: Some(self.action.trim().to_string()),
            target: Some(self.target.trim().to_string()),
            from: valid_date(&self.from),
            to: valid_date(&self.to),
            limit: per_page,
            offset: (page - 1).saturating_mul(per_page),
            order: None,
        }
    }
}

/// A date filter is used only when it is a real date; anything else is ignored, not an error.
fn valid_date(s: &str) -> Option<String> {
    chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .ok()
        .map(|d| d.to_string())
}

async fn audit_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let listing = q.listing();
    let filter = audit::Filter {
        order: listing.order(),
        limit: listing.limit(),
        offset: listing.offset(),
        ..q.filter(listing.limit())
    };
    let (recs, total) = audit::list(&state.store, &ctx.actor(), &filter).await?;
    Ok(render(&AuditPage {
        ctx: ctx.page(),
        records: recs
            .into_iter()
            .map(|rec| AuditRow {
                local_at: local_time(&rec.at),
                role: match rec.role.as_str() {
                    "" => String::new(),
                    r => ctx.t(&format!("role-{r}")),
                },
                rec,
            })
            .collect(),
        q,
        list: listing.with_total(total),
    }))
}
