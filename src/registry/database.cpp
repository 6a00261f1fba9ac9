#include "database.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstring>

#include "taskscout/core/error.hpp"

namespace taskscout::registry_detail {

Database::Database(const std::filesystem::path& file, Mode mode, double lock_timeout_seconds, std::string what)
    : path_(file.string()), what_(std::move(what)), lock_timeout_(lock_timeout_seconds) {
  int flags = SQLITE_OPEN_NOMUTEX;  // one thread per connection (see registry.hpp)
  if (mode == Mode::ReadOnly) flags |= SQLITE_OPEN_READONLY;
  if (mode == Mode::ReadWrite) flags |= SQLITE_OPEN_READWRITE;
  if (mode == Mode::Create) flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw IoError(location(path_) + fmt::format("cannot open the {}: {}", what_, why));
  }
  sqlite3_extended_result_codes(db_, 0);
  sqlite3_busy_timeout(db_, static_cast<int>(std::lround(std::max(0.0, lock_timeout_) * 1000)));
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::fail(int rc, std::string_view doing) const {
  const std::string where = location(path_);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw IoError(where + fmt::format("the {} is locked by another process (waited {:g} s while {}); retry when "
                                        "it has finished, or wait longer with {}",
                                        what_, lock_timeout_, doing, opt("lock_timeout")));
    case SQLITE_IOERR: {
      const int err = sqlite3_system_errno(db_);
      throw IoError(where + fmt::format("cannot write the {} ({}: {}{}); nothing was changed: free space (or check "
                                        "the disk) and retry",
                                        what_, doing, sqlite3_errmsg(db_),
                                        err ? std::string(": ") + std::strerror(err) : ""));
    }
    case SQLITE_FULL:
      throw IoError(where + fmt::format("the disk is full ({}); nothing was changed: free space and retry", doing));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      throw InputError(where + fmt::format("the {} is damaged or not a SQLite database ({}: {}); restore it from a "
                                           "copy or an export",
                                           what_, doing, sqlite3_errmsg(db_)));
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
      throw IoError(where + fmt::format("cannot write the {} ({}: {}); check the folder's permissions", what_, doing,
                                        sqlite3_errmsg(db_)));
    default:
      throw IoError(where + fmt::format("{} failed: {}", doing, sqlite3_errmsg(db_)));
  }
}

void Database::exec(const std::string& sql) const {
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, "running \"" + sql.substr(0, 40) + "\"");
}

std::int64_t Database::pragma_integer(const std::string& name) const {
  Statement s(*this, "PRAGMA " + name);
  if (!s.step()) return 0;
  return s.integer(0);
}

Statement::Statement(const Database& db, std::string_view sql) : db_(db) {
  const int rc = sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, "preparing a query");
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

Statement& Statement::bind_blob(int index, const void* data, std::size_t size) {
  const int rc = sqlite3_bind_blob64(stmt_, index, size ? data : "", size, SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_.fail(rc, "binding a value");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // The statement's own error code is returned by reset, not by step, in older modes.
  db_.fail(rc, "running a query");
}

void Statement::run() {
  while (step()) {
  }
  reset();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::text(int column) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string();
}

std::string_view Statement::blob(int column) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))) : std::string_view();
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Transaction::Transaction(const Database& db, Kind kind) : db_(db) {
  const int rc =
      sqlite3_exec(db.handle(), kind == Kind::Write ? "BEGIN IMMEDIATE" : "BEGIN", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, kind == Kind::Write ? "waiting for the write lock" : "starting to read");
}

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  const int rc = sqlite3_exec(db_.handle(), "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) db_.fail(rc, "committing");
  open_ = false;
}

}  // namespace taskscout::registry_detail
