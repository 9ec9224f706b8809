//! Rate limits on posts from people not signed in.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

/// Per-address token buckets for unauthenticated posts (sign-in, later the public portal).
pub struct PublicLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl PublicLimiter {
    pub fn new(per_minute: u32) -> PublicLimiter {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        PublicLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
        }
    }

    pub fn check(&self, ip: &str) -> Result<(), crate::AppError> {
        self.limiter
            .check_key(&ip.to_string())
            .map_err(|_| crate::AppError::TooManyRequests)
    }
}
