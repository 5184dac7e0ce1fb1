//! Domain errors. Each carries a stable snake_case code; only the API layer maps codes to HTTP.

/// Every failure tidings reports, from a user's bad query to a broken disk.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The query text does not parse; `position` is the character offset where it went wrong.
    #[error("{message}")]
    BadQuery { message: String, position: Option<usize> },
    /// A request parameter is missing, malformed or out of range.
    #[error("{0}")]
    BadParameter(String),
    /// No such article (or other named thing).
    #[error("{0}")]
    NotFound(String),
    /// The request needs a valid API key.
    #[error("{0}")]
    Unauthorized(String),
    /// The key is valid but may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The request is valid but the thing's state forbids it (a configured key removed over HTTP).
    #[error("{0}")]
    Conflict(String),
    /// The client sent more than its rate allows: retry after this many seconds.
    #[error("{message}")]
    RateLimited { message: String, retry_after_secs: u64 },
    /// Too much work waiting already: the client should retry a moment later.
    #[error("{0}")]
    Overloaded(String),
    /// Configuration that cannot be used.
    #[error("configuration: {0}")]
    Config(String),
    #[error("store: {0}")]
    Store(rusqlite::Error),
    #[error("index: {0}")]
    Index(tantivy::TantivyError),
    #[error("i/o: {0}")]
    Io(std::io::Error),
    /// The disk is full: nothing committed is lost; the message says what to do.
    #[error("{0}")]
    DiskFull(String),
    /// The store or the index is damaged or does not match the other; the message says what
    /// to do (reindex, restore from a backup).
    #[error("{0}")]
    Damaged(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The stable code clients can match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadQuery { .. } => "bad_query",
            Error::BadParameter(_) => "bad_parameter",
            Error::NotFound(_) => "not_found",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::Conflict(_) => "conflict",
            Error::RateLimited { .. } => "rate_limited",
            Error::Overloaded(_) => "overloaded",
            Error::Config(_) => "bad_config",
            Error::Damaged(_) => "damaged",
            Error::DiskFull(_) => "disk_full",
            Error::Store(_) | Error::Index(_) | Error::Io(_) | Error::Internal(_) => "internal",
        }
    }

    /// True when the caller, not tidings, is at fault.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            Error::BadQuery { .. }
                | Error::BadParameter(_)
                | Error::NotFound(_)
                | Error::Unauthorized(_)
                | Error::Forbidden(_)
                | Error::Conflict(_)
                | Error::RateLimited { .. }
        )
    }
}

/// What to do about a damaged store: it is the truth, so only a copy of it brings it back.
pub const STORE_DAMAGED: &str = "the store file is damaged: stop the server and restore the store from a backup \
    (`tidings restore FILE --force`, which rebuilds the index from it)";

/// What to do about a damaged index: it is derived from the store, so it can be built again.
pub const INDEX_DAMAGED: &str = "the index is damaged: stop the server and run `tidings reindex`, which rebuilds \
    it from the store (nothing stored is lost)";

impl From<rusqlite::Error> for Error {
    /// A store that SQLite finds malformed, truncated or not a database at all is damaged (with
    /// what to do); a full disk says so; anything else is a store error.
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match error.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
                Error::Damaged(format!("{STORE_DAMAGED} ({error})"))
            }
            Some(ErrorCode::DiskFull) => Error::DiskFull(format!(
                "the disk holding the store is full ({error}): what was committed before is kept; free space and run \
                 the same command again"
            )),
            _ => Error::Store(error),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(error: std::io::Error) -> Self {
        match error.raw_os_error() {
            Some(libc::ENOSPC) => Error::DiskFull(format!(
                "the disk is full ({error}): what was committed before is kept; free space and run the same command again"
            )),
            _ => Error::Io(error),
        }
    }
}

impl From<tantivy::TantivyError> for Error {
    /// An index file Tantivy cannot read back is damaged (with what to do); a full disk says so.
    fn from(error: tantivy::TantivyError) -> Self {
        let disk_full = |error: &std::io::Error| error.raw_os_error() == Some(libc::ENOSPC);
        match &error {
            tantivy::TantivyError::DataCorruption(_)
            | tantivy::TantivyError::OpenReadError(tantivy::directory::error::OpenReadError::FileDoesNotExist(_)) => {
                Error::Damaged(format!("{INDEX_DAMAGED} ({error})"))
            }
            // A file too short for its footer, or whose footer does not read.
            tantivy::TantivyError::OpenReadError(tantivy::directory::error::OpenReadError::IoError {
                io_error,
                ..
            }) if matches!(io_error.kind(), std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::InvalidData) => {
                Error::Damaged(format!("{INDEX_DAMAGED} ({error})"))
            }
            // Tantivy's indexing threads report a failed write as text.
            tantivy::TantivyError::IoError(_) | tantivy::TantivyError::InternalError(_)
                if matches!(&error, tantivy::TantivyError::IoError(io) if disk_full(io))
                    || error.to_string().contains("(os error 28)") =>
            {
                Error::DiskFull(format!(
                    "the disk holding the index is full ({error}): the store keeps everything committed; free space \
                     and run the same command again"
                ))
            }
            tantivy::TantivyError::LockFailure(tantivy::directory::error::LockError::IoError(io), _)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
                ) =>
            {
                Error::Config(format!(
                    "the index directory is not writable ({io}): tidings keeps its lock files and segments there, \
                     to search as well as to write; make it writable (the store is untouched)"
                ))
            }
            _ => Error::Index(error),
        }
    }
}

impl From<tantivy::directory::error::OpenDirectoryError> for Error {
    fn from(error: tantivy::directory::error::OpenDirectoryError) -> Self {
        tantivy::TantivyError::from(error).into()
    }
}

impl From<tantivy::directory::error::OpenReadError> for Error {
    fn from(error: tantivy::directory::error::OpenReadError) -> Self {
        tantivy::TantivyError::from(error).into()
    }
}

impl From<tantivy::query::QueryParserError> for Error {
    fn from(error: tantivy::query::QueryParserError) -> Self {
        Error::BadQuery { message: error.to_string(), position: None }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
