#pragma once
// A thin RAII layer over the SQLite C API for the registry: connections, prepared
// statements and transactions, with every SQLite failure turned into one message that
// names the database file and says what to do (locked, disk full, damaged).
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace taskscout::registry_detail {

class Database;

class Statement {
 public:
  Statement(const Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters count from 1, as in SQL.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view text);
  Statement& bind_blob(int index, const void* data, std::size_t size);
  // True when a row is available, false when the statement is done.
  bool step();
  // Runs a statement that returns no rows.
  void run();
  void reset();

  std::int64_t integer(int column) const;
  std::string text(int column) const;
  std::string_view blob(int column) const;
  bool is_null(int column) const;

 private:
  const Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Database {
 public:
  enum class Mode { ReadWrite, Create, ReadOnly };
  // `what` names the database in messages ("registry R" or "archive A").
  Database(const std::filesystem::path& file, Mode mode, double lock_timeout_seconds, std::string what);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql) const;
  std::int64_t pragma_integer(const std::string& name) const;
  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  double lock_timeout_seconds() const { return lock_timeout_; }

  // Throws the error for return code `rc` of the operation `doing` ("reading sources").
  [[noreturn]] void fail(int rc, std::string_view doing) const;

 private:
  sqlite3* db_ = nullptr;
  std::string path_, what_;
  double lock_timeout_;
};

// BEGIN IMMEDIATE (write: takes the write lock now, waiting up to the lock timeout) or
// BEGIN (read: one consistent snapshot). Rolls back at destruction unless committed.
class Transaction {
 public:
  enum class Kind { Read, Write };
  Transaction(const Database& db, Kind kind);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  const Database& db_;
  bool open_ = true;
};

}  // namespace taskscout::registry_detail
