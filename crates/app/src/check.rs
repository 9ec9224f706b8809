//! `qcity check …`: offline checks of identifiers; no database.

use clap::Subcommand;
use qcity_domain::identifiers::check_uscc;
use qcity_domain::target::Lang;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum CheckCommand {
    /// Check unified social credit codes (GB 32100-2015); exits non-zero if any is invalid.
    Uscc {
        #[arg(required = true)]
        codes: Vec<String>,
    },
}

/// `qcity check uscc CODE…`: one line per code, `CODE\t有效 valid` or
/// `CODE\t无效 invalid: <zh> / <en>`; fails when any code is invalid. A valid code whose
/// positions 1–2 are not in the published authority/category table gets a note on stderr.
pub fn uscc(codes: &[String]) -> ExitCode {
    let mut all_valid = true;
    for code in codes {
        match check_uscc(code) {
            Ok(u) => {
                println!("{code}\t有效 valid");
                if !u.is_known_category() {
                    eprintln!(
                        "注意 note: {code}: 第 1–2 位“{}{}”不在已知的登记管理部门/机构类别表中 / positions 1–2 '{}{}' are not in the known authority/category table",
                        u.authority, u.category, u.authority, u.category
                    );
                }
            }
            Err(e) => {
                all_valid = false;
                println!(
                    "{code}\t无效 invalid: {} / {}",
                    e.message(Lang::ZhCn),
                    e.message(Lang::En)
                );
            }
        }
    }
    if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
