// Shared by the oracle scripts: the CSV reader and the id hash of the fixtures.
'use strict';
const fs = require('fs');

// RFC 4180 as taskscout reads it (io/table.hpp): quoted fields may hold commas, newlines
// and doubled quotes; LF or CRLF; a leading BOM is skipped; blank lines are skipped.
function readCsv(file) {
  let s = fs.readFileSync(file, 'utf8');
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
  const rows = [];
  let row = [], field = '', i = 0, quoted = false, any = false;
  const endField = () => { row.push(field); field = ''; };
  const endRow = () => {
    endField();
    if (any || row.length > 1 || row[0] !== '') rows.push(row);
    row = []; any = false;
  };
  while (i < s.length) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += c; i++; continue;
    }
    if (c === '"' && field === '') { quoted = true; any = true; i++; continue; }
    if (c === ',') { endField(); any = true; i++; continue; }
    if (c === '\r' && s[i + 1] === '\n') { endRow(); i += 2; continue; }
    if (c === '\n') { endRow(); i++; continue; }
    field += c; i++;
  }
  if (field !== '' || row.length > 0 || any) endRow();
  const header = rows.shift();
  const col = header.indexOf('text');
  if (col < 0) throw new Error(`${file}: no text column`);
  return rows.map(r => r[col]);
}

// The hash input for one text: its token count, then its ids, all uint32 little-endian.
function hashIds(hash, ids) {
  const buf = Buffer.alloc(4 * (ids.length + 1));
  buf.writeUInt32LE(ids.length, 0);
  ids.forEach((id, k) => buf.writeUInt32LE(id, 4 * (k + 1)));
  hash.update(buf);
}

module.exports = { readCsv, hashIds };
