//! How the model's value types are written to and read from SQLite columns.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::model::{ArticleId, Lang};

impl ToSql for ArticleId {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for ArticleId {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        String::column_result(value).map(ArticleId::from_stored)
    }
}

impl ToSql for Lang {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for Lang {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        String::column_result(value).map(Lang::from_stored)
    }
}

/// An article body as the store keeps it: LZ4-compressed (a BLOB with its length in front), so the
/// store stays smaller than its input; bodies written before compression are TEXT and read as
/// they are. Read a `body` column through this type (`row.get::<_, StoredBody>(…)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBody(pub String);

impl ToSql for StoredBody {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(lz4_flex::compress_prepend_size(self.0.as_bytes())))
    }
}

impl FromSql for StoredBody {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Blob(bytes) => {
                let bytes =
                    lz4_flex::decompress_size_prepended(bytes).map_err(|error| FromSqlError::Other(Box::new(error)))?;
                String::from_utf8(bytes).map(StoredBody).map_err(|error| FromSqlError::Other(Box::new(error)))
            }
            value => String::column_result(value).map(StoredBody),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_compressed_and_read_back_whether_compressed_or_not() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        connection.execute_batch("create table t (body text not null)").unwrap();
        let body = StoredBody("The central bank raised rates. ".repeat(40) + "Ünïcode ends it.");
        connection.execute("insert into t values (?1)", [&body]).unwrap();
        connection.execute("insert into t values ('written before compression')", []).unwrap();
        let (kind, length): (String, i64) = connection
            .query_row("select typeof(body), length(body) from t limit 1", [], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap();
        assert_eq!(kind, "blob");
        assert!((length as usize) < body.0.len() / 4, "{length} bytes for {}", body.0.len());
        let read: Vec<StoredBody> = connection
            .prepare("select body from t")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(read, [body, StoredBody("written before compression".into())]);
    }
}
