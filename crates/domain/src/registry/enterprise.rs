//! One row of the enterprise register (企业名录) as it is entered or imported: the enterprise
//! and, optionally, one licence it holds; and the rules a row obeys on its own. The forms, the
//! workbook reader and the store's import check it with the same functions; the store adds
//! what needs the database (the code against the office's overrides).

use super::{LicenceKind, Problem, Refusal, Size, format_date_zh, too_long};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Longest enterprise name, in characters.
pub const NAME_MAX: usize = 100;
/// Longest other text field of an enterprise, in characters.
pub const TEXT_MAX: usize = 200;
/// Longest licence number, in characters.
pub const LICENCE_NUMBER_MAX: usize = 60;

/// The editable fields of an enterprise.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterpriseInput {
    /// 统一社会信用代码 (or 组织机构代码), as given; the store checks it.
    pub code: String,
    /// 企业名称.
    pub name: String,
    /// 地址/住所.
    pub address: String,
    /// 行业.
    pub industry: String,
    /// 企业规模.
    pub size: Option<Size>,
    /// 所属街道（镇）.
    pub town: String,
    /// 首席质量官.
    pub chief_quality_officer: String,
    /// 联系电话.
    pub contact: String,
    /// 建档日期: when the enterprise's quality credit file was opened.
    pub file_opened: Option<NaiveDate>,
}

/// A licence or certificate an enterprise holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceInput {
    /// 许可证类型.
    pub kind: LicenceKind,
    /// 许可证编号.
    pub number: String,
    /// 许可产品.
    pub product: String,
    /// 发证日期.
    pub issued: Option<NaiveDate>,
    /// 有效期至.
    pub expires: Option<NaiveDate>,
}

/// One row of the enterprise register: an enterprise holding several licences appears on
/// several rows with the same code, and the store merges them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterpriseRow {
    pub enterprise: EnterpriseInput,
    /// The licence of this row, when one is given.
    pub licence: Option<LicenceInput>,
}

/// The fields of an enterprise row, for pointing at the one to correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnterpriseField {
    Code,
    Name,
    Address,
    Industry,
    Size,
    Town,
    ChiefQualityOfficer,
    Contact,
    FileOpened,
    LicenceKind,
    LicenceNumber,
    LicenceProduct,
    Issued,
    Expires,
}

impl EnterpriseField {
    /// Every field, in the order of the import template's columns.
    pub const ALL: [EnterpriseField; 14] = [
        EnterpriseField::Code,
        EnterpriseField::Name,
        EnterpriseField::Address,
        EnterpriseField::Industry,
        EnterpriseField::Size,
        EnterpriseField::Town,
        EnterpriseField::ChiefQualityOfficer,
        EnterpriseField::Contact,
        EnterpriseField::FileOpened,
        EnterpriseField::LicenceKind,
        EnterpriseField::LicenceNumber,
        EnterpriseField::LicenceProduct,
        EnterpriseField::Issued,
        EnterpriseField::Expires,
    ];

    /// The name of the form field.
    pub fn form_name(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Name => "name",
            Self::Address => "address",
            Self::Industry => "industry",
            Self::Size => "size",
            Self::Town => "town",
            Self::ChiefQualityOfficer => "chief_quality_officer",
            Self::Contact => "contact",
            Self::FileOpened => "file_opened",
            Self::LicenceKind => "kind",
            Self::LicenceNumber => "number",
            Self::LicenceProduct => "product",
            Self::Issued => "issued",
            Self::Expires => "expires",
        }
    }

    /// The Chinese label, as the template's column.
    pub fn zh(self) -> &'static str {
        match self {
            Self::Code => "统一社会信用代码",
            Self::Name => "企业名称",
            Self::Address => "地址",
            Self::Industry => "行业",
            Self::Size => "企业规模",
            Self::Town => "所属街道（镇）",
            Self::ChiefQualityOfficer => "首席质量官",
            Self::Contact => "联系电话",
            Self::FileOpened => "建档日期",
            Self::LicenceKind => "许可证类型",
            Self::LicenceNumber => "许可证编号",
            Self::LicenceProduct => "许可产品",
            Self::Issued => "发证日期",
            Self::Expires => "有效期至",
        }
    }
}

/// A field's position among the import template's columns.
impl From<EnterpriseField> for usize {
    fn from(field: EnterpriseField) -> usize {
        field as usize
    }
}

/// A rule an enterprise row breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnterpriseProblem {
    CodeMissing,
    NameMissing,
    NameTooLong,
    /// A text field longer than [`TEXT_MAX`].
    TooLong(EnterpriseField),
    FileOpenedInFuture,
    LicenceNumberMissing,
    LicenceNumberTooLong,
    LicenceExpiresBeforeIssued {
        issued: NaiveDate,
        expires: NaiveDate,
    },
}

impl EnterpriseProblem {
    /// The translation key a form shows for it.
    pub fn key(&self) -> &'static str {
        match self {
            Self::CodeMissing => "error-enterprise-code-missing",
            Self::NameMissing => "error-enterprise-name",
            Self::NameTooLong => "error-enterprise-name-long",
            Self::TooLong(_) => "error-text-too-long",
            Self::FileOpenedInFuture => "error-date-in-future",
            Self::LicenceNumberMissing | Self::LicenceNumberTooLong => "error-licence-number",
            Self::LicenceExpiresBeforeIssued { .. } => "error-licence-expires-before-issued",
        }
    }

    /// The form field to correct.
    pub fn field(&self) -> EnterpriseField {
        self.fields()[0]
    }
}

impl Problem for EnterpriseProblem {
    type Field = EnterpriseField;

    fn fields(&self) -> Vec<EnterpriseField> {
        use EnterpriseField as F;
        match self {
            Self::CodeMissing => vec![F::Code],
            Self::NameMissing | Self::NameTooLong => vec![F::Name],
            Self::TooLong(field) => vec![*field],
            Self::FileOpenedInFuture => vec![F::FileOpened],
            Self::LicenceNumberMissing | Self::LicenceNumberTooLong => vec![F::LicenceNumber],
            Self::LicenceExpiresBeforeIssued { .. } => vec![F::Expires, F::Issued],
        }
    }

    fn refusal(&self) -> Refusal {
        match self {
            Self::CodeMissing => Refusal::new(
                "缺少统一社会信用代码",
                "the unified social credit code is missing",
            ),
            Self::NameMissing => Refusal::new("缺少企业名称", "the name is missing"),
            Self::NameTooLong => Refusal::new(
                format!("企业名称超过 {NAME_MAX} 个字"),
                format!("the enterprise name is longer than {NAME_MAX} characters"),
            ),
            Self::TooLong(field) => Refusal::new(
                format!("“{}”内容过长（超过 {TEXT_MAX} 个字）", field.zh()),
                format!(
                    "{} is longer than {TEXT_MAX} characters",
                    field.form_name().replace('_', " ")
                ),
            ),
            Self::FileOpenedInFuture => Refusal::new(
                "建档日期不能晚于今天",
                "the file-opening date is in the future",
            ),
            Self::LicenceNumberMissing => Refusal::new(
                "已填写许可证信息，但缺少许可证编号",
                "the licence columns are filled but the licence number is missing",
            ),
            Self::LicenceNumberTooLong => Refusal::new(
                format!("许可证编号超过 {LICENCE_NUMBER_MAX} 个字"),
                format!("the licence number is longer than {LICENCE_NUMBER_MAX} characters"),
            ),
            Self::LicenceExpiresBeforeIssued { issued, expires } => Refusal::new(
                format!(
                    "有效期至（{}）早于发证日期（{}）",
                    format_date_zh(*expires),
                    format_date_zh(*issued)
                ),
                format!("the licence expires ({expires}) before it was issued ({issued})"),
            ),
        }
    }
}

impl EnterpriseInput {
    /// Every rule the enterprise's fields break, in field order; `today` bounds the
    /// file-opening date.
    pub fn problems(&self, today: NaiveDate) -> Vec<EnterpriseProblem> {
        use EnterpriseField as F;
        use EnterpriseProblem as P;
        let mut out = Vec::new();
        if self.code.trim().is_empty() {
            out.push(P::CodeMissing);
        }
        let name = self.name.trim();
        if name.is_empty() {
            out.push(P::NameMissing);
        } else if too_long(name, NAME_MAX) {
            out.push(P::NameTooLong);
        }
        for (field, text) in [
            (F::Address, &self.address),
            (F::Industry, &self.industry),
            (F::Town, &self.town),
            (F::ChiefQualityOfficer, &self.chief_quality_officer),
            (F::Contact, &self.contact),
        ] {
            if too_long(text, TEXT_MAX) {
                out.push(P::TooLong(field));
            }
        }
        if self.file_opened.is_some_and(|d| d > today) {
            out.push(P::FileOpenedInFuture);
        }
        out
    }
}

impl LicenceInput {
    /// Every rule the licence breaks.
    pub fn problems(&self) -> Vec<EnterpriseProblem> {
        use EnterpriseProblem as P;
        let mut out = Vec::new();
        let number = self.number.trim();
        if number.is_empty() {
            out.push(P::LicenceNumberMissing);
        } else if too_long(number, LICENCE_NUMBER_MAX) {
            out.push(P::LicenceNumberTooLong);
        }
        if let (Some(issued), Some(expires)) = (self.issued, self.expires)
            && expires < issued
        {
            out.push(P::LicenceExpiresBeforeIssued { issued, expires });
        }
        out
    }
}

impl EnterpriseRow {
    /// The enterprise's code as given (the key the store merges rows by, once checked).
    pub fn key(&self) -> &str {
        self.enterprise.code.trim()
    }

    /// Every rule the row breaks: the enterprise's, then its licence's.
    pub fn problems(&self, today: NaiveDate) -> Vec<EnterpriseProblem> {
        let mut out = self.enterprise.problems(today);
        if let Some(l) = &self.licence {
            out.extend(l.problems());
        }
        out
    }

    /// The row's own rules: the first reason it is refused.
    pub fn check(&self, today: NaiveDate) -> Result<(), Refusal> {
        super::first_refusal(self.problems(today))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const TODAY: (i32, u32, u32) = (2015, 6, 30);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    fn good() -> EnterpriseRow {
        EnterpriseRow {
            enterprise: EnterpriseInput {
                code: "914403001922038216".into(),
                name: "华为技术有限公司".into(),
                town: "新城街道".into(),
                file_opened: Some(d(2014, 3, 1)),
                ..Default::default()
            },
            licence: Some(LicenceInput {
                kind: LicenceKind::Production,
                number: "XK06-001-00123".into(),
                product: "电线电缆".into(),
                issued: Some(d(2013, 5, 6)),
                expires: Some(d(2018, 5, 5)),
            }),
        }
    }

    fn licence(r: &mut EnterpriseRow) -> &mut LicenceInput {
        r.licence.as_mut().unwrap()
    }

    #[test]
    fn each_rule_refuses_its_row_with_a_reason_and_a_form_key() {
        use EnterpriseProblem as P;
        type Case = (
            &'static str,
            fn(&mut EnterpriseRow),
            P,
            &'static str,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                "no code",
                |r| r.enterprise.code = " ".into(),
                P::CodeMissing,
                "缺少统一社会信用代码",
                "code",
            ),
            (
                "no name",
                |r| r.enterprise.name.clear(),
                P::NameMissing,
                "缺少企业名称",
                "name",
            ),
            (
                "long name",
                |r| r.enterprise.name = "厂".repeat(101),
                P::NameTooLong,
                "超过 100 个字",
                "name",
            ),
            (
                "long address",
                |r| r.enterprise.address = "路".repeat(201),
                P::TooLong(EnterpriseField::Address),
                "“地址”内容过长",
                "address",
            ),
            (
                "long contact",
                |r| r.enterprise.contact = "1".repeat(201),
                P::TooLong(EnterpriseField::Contact),
                "超过 200 个字",
                "contact",
            ),
            (
                "file opened tomorrow",
                |r| r.enterprise.file_opened = Some(d(2015, 7, 1)),
                P::FileOpenedInFuture,
                "建档日期不能晚于今天",
                "file_opened",
            ),
            (
                "no licence number",
                |r| licence(r).number.clear(),
                P::LicenceNumberMissing,
                "缺少许可证编号",
                "number",
            ),
            (
                "long licence number",
                |r| licence(r).number = "X".repeat(61),
                P::LicenceNumberTooLong,
                "超过 60 个字",
                "number",
            ),
            (
                "expires before issued",
                |r| licence(r).expires = Some(d(2013, 1, 1)),
                P::LicenceExpiresBeforeIssued {
                    issued: d(2013, 5, 6),
                    expires: d(2013, 1, 1),
                },
                "有效期至（2013年1月1日）早于发证日期（2013年5月6日）",
                "expires",
            ),
        ];
        assert!(good().problems(today()).is_empty());
        for (name, edit, want, zh, field) in cases {
            let mut r = good();
            edit(&mut r);
            let problems = r.problems(today());
            assert_eq!(problems, vec![want], "{name}");
            assert_eq!(problems[0].field().form_name(), field, "{name}");
            assert!(problems[0].key().starts_with("error-"), "{name}");
            let refusal = r.check(today()).expect_err(name);
            assert!(refusal.zh.contains(zh), "{name}: {}", refusal.zh);
            assert!(!refusal.en.is_empty(), "{name}");
        }
    }

    #[test]
    fn a_row_without_a_licence_and_a_file_opened_today_passes() {
        let mut r = good();
        r.licence = None;
        r.enterprise.file_opened = Some(today());
        assert_eq!(r.check(today()), Ok(()));
        assert_eq!(r.key(), "914403001922038216");
    }
}
