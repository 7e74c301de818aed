/* Every cap in one place. A growable buffer that reads from the network or a
 * file takes its maximum from here, so a hostile or broken client can never
 * make acsemu grow without bound. */
#ifndef EMU_LIMITS_H
#define EMU_LIMITS_H

/* HTTP: header block (request line + headers), request-target, body. The URL
 * cap is generous because RPC clients put whole policy documents into the
 * query string (rpc-api.md §11 asks for at least 16 KB request lines). */
#define EMU_MAX_HEADER_BYTES (64 * 1024)
#define EMU_MAX_URL_BYTES (32 * 1024)
#define EMU_MAX_HEADERS 100
#define EMU_MAX_BODY_BYTES (8 * 1024 * 1024) /* above OTS's 5 MB request limit */
#define EMU_MAX_CONNECTIONS 4096
#define EMU_MAX_PIPELINED_BYTES (EMU_MAX_BODY_BYTES + EMU_MAX_HEADER_BYTES)
/* Request bodies buffered at once on all connections (--max-buffered-bytes;
 * per connection, EMU_MAX_BODY_BYTES). A body declared with Content-Length
 * reserves its length when its headers arrive; a chunked one is counted as
 * it arrives. Past the budget the body is read and dropped, and the
 * service answers its own "busy" error. Released when the answer is
 * written or the connection closes. */
#define EMU_MAX_BUFFERED_BYTES (256LL * 1024 * 1024)

/* Back-pressure on answers the client has not read yet (written to libuv
 * but not to the socket). A connection above either per-connection cap, or
 * holding any unsent answer while all connections together are above the
 * global cap, stops reading and parsing (pipelined requests wait unparsed)
 * until its backlog is down to half the per-connection caps. One answer
 * may overshoot a cap (it is never split): the bound is cap + one answer. */
#define EMU_MAX_UNSENT_BYTES (1024 * 1024)
#define EMU_MAX_UNSENT_ANSWERS 64
#define EMU_MAX_UNSENT_TOTAL_BYTES (64 * 1024 * 1024)

/* Timeouts (milliseconds) against slow or idle clients. */
#define EMU_HEADER_TIMEOUT_MS 10000
#define EMU_BODY_TIMEOUT_MS 30000
#define EMU_IDLE_TIMEOUT_MS 60000
#define EMU_SEND_TIMEOUT_MS 60000 /* held on unsent answers, no write progress */
#define EMU_SHUTDOWN_GRACE_MS 5000

/* JSON: world files, admin bodies, policy documents. */
#define EMU_MAX_JSON_DEPTH 64
#define EMU_MAX_WORLD_BYTES (64 * 1024 * 1024)
#define EMU_MAX_ROWS_FILE_BYTES (1024LL * 1024 * 1024)
#define EMU_MAX_CSV_LINE_BYTES (2 * 1024 * 1024)
#define EMU_MAX_POLICY_BYTES 6144
#define EMU_MAX_SESSION_POLICY_BYTES 2048
/* Tablestore instance policies: "up to 4 KB" per instance (Tablestore
 * "Use instance policies" usage notes). */
#define EMU_MAX_INSTANCE_POLICY_BYTES 4096
#define EMU_MAX_ADMIN_BODY_BYTES (1024 * 1024)

/* RPC parameters. */
#define EMU_MAX_PARAMS 256

/* Resource Directory (ResourceManager 2020-03-31 limits): control policies
 * attached to one folder or member, folder depth under Root, a control
 * policy document's characters, folders, members and control policies of
 * one directory. */
#define EMU_MAX_CONTROL_POLICIES_PER_TARGET 10
#define EMU_MAX_FOLDER_DEPTH 5
#define EMU_MAX_CONTROL_POLICY_BYTES 4096
#define EMU_MAX_RD_FOLDERS 1000
#define EMU_MAX_RD_ACCOUNTS 1000
#define EMU_MAX_RD_CONTROL_POLICIES 1500

/* Checkpoints kept at once: the default of --max-checkpoints, and the most it
 * accepts. A checkpoint shares rows with the live world (copy-on-write), so
 * each costs what changes after it; the cap bounds that growth. */
#define EMU_MAX_CHECKPOINTS 64
#define EMU_MAX_CHECKPOINTS_CAP 4096

/* Tags per RAM role or custom policy (RAM TagResources: at most 20 per
 * resource, the tag service's limit; a request names at most 20 tags and 50
 * resources, as the API reference says). */
#define EMU_MAX_RAM_TAGS 20
#define EMU_MAX_RAM_TAG_RESOURCES 50

/* Tablestore (tablestore-protocol.md §9.8 unless noted). */
#define EMU_MAX_OTS_INSTANCES 64 /* per account; emulator choice */
/* Tags per Tablestore instance (TagResources: at most 20 per resource, the
 * Alibaba Cloud tag service's limit). */
#define EMU_MAX_OTS_INSTANCE_TAGS 20
#define EMU_MAX_OTS_TABLES 64 /* per instance */
#define EMU_MAX_OTS_PK_COLUMNS 4
#define EMU_MAX_OTS_DEFINED_COLUMNS 32
#define EMU_MAX_OTS_NAME_BYTES 255
#define EMU_MAX_OTS_PK_VALUE_BYTES 1024
#define EMU_MAX_OTS_VALUE_BYTES (2 * 1024 * 1024)
#define EMU_MAX_OTS_CELLS_PER_ROW 100000  /* decoder and store guard; emulator choice */
#define EMU_MAX_OTS_JSON_ROWS 1000000     /* inline "Rows" of a world file */
#define EMU_MAX_OTS_TXNS 1024             /* open local transactions, process-wide */
#define EMU_MAX_OTS_TXN_ROWS 20000        /* distinct rows one local transaction writes */
#define EMU_MAX_OTS_INDEX_LAG_QUEUE 20000 /* delayed global-index changes (then: at once) */
#define EMU_MAX_OTS_STREAMS 4096          /* streams with records, process-wide */
#define EMU_MAX_OTS_STREAM_RECORDS 200000 /* records kept per stream; the oldest go first */
/* Search indexes. Per table (the service's default quota is lower; acsemu
 * lets tests create more), fields per index, query nesting, Terms terms
 * and polygon points, the page (limit) and window (offset + limit, past
 * it the next token), bytes of one indexed term (longer Keyword values and
 * tokens are not indexed), the JSON of one array or nested column that is
 * read, and index entries one query may visit. */
#define EMU_MAX_OTS_SEARCH_INDEXES 16
#define EMU_MAX_OTS_SEARCH_FIELDS 1024
#define EMU_MAX_OTS_SEARCH_QUERY_DEPTH 32
#define EMU_MAX_OTS_SEARCH_TERMS 1024
#define EMU_MAX_OTS_SEARCH_LIMIT 1000
#define EMU_MAX_OTS_SEARCH_WINDOW 50000
#define EMU_MAX_OTS_SEARCH_TERM_BYTES 4096
#define EMU_MAX_OTS_SEARCH_JSON_BYTES (1024 * 1024)
#define EMU_MAX_OTS_SEARCH_SCAN 20000000
#define EMU_MAX_OTS_SEARCH_HL_FIELDS 16      /* highlight parameters of one search */
#define EMU_MAX_OTS_SEARCH_HL_FRAGMENTS 100  /* number_of_fragments */
#define EMU_MAX_OTS_SEARCH_HL_FRAGMENT 10000 /* fragment_size, characters */
#define EMU_MAX_OTS_SEARCH_HL_TAG 64         /* pre_tag / post_tag bytes */
#define EMU_MAX_OTS_SEARCH_AGGS 100          /* aggregations or group-bys of one level */
#define EMU_MAX_OTS_SCAN_LIMIT 2000          /* rows of one ParallelScan answer (the service's) */
/* SQL (SQLQuery): mapping tables per instance, rows one query may read
 * from its tables, and the FlatBuffers answer (the service pages nothing:
 * a bigger result is refused with the advice to add a LIMIT). */
#define EMU_MAX_OTS_SQL_MAPPINGS 1024
#define EMU_MAX_OTS_SQL_READ_ROWS 2000000
#define EMU_MAX_OTS_SQL_RESULT_BYTES (64 * 1024 * 1024)
/* Write observers one table may have (search indexes, streams). */
#define EMU_MAX_OTS_TABLE_OBSERVERS 20

/* Persistence (--data-dir, emu/persist.h). A snapshot starts once the log
 * has grown by EMU_PERSIST_SNAPSHOT_BYTES since the last one; a snapshot
 * packs rows into records of about EMU_PERSIST_ROWS_RECORD_BYTES; no record
 * may be longer than EMU_PERSIST_MAX_RECORD_BYTES (the reader's guard
 * against a corrupt length). */
#define EMU_PERSIST_SNAPSHOT_BYTES (64LL * 1024 * 1024)
#define EMU_PERSIST_ROWS_RECORD_BYTES (1024 * 1024)
#define EMU_PERSIST_MAX_RECORD_BYTES (256u * 1024 * 1024)

#endif
