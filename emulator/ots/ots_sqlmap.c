/* SQL mapping tables (CREATE TABLE over a data table, DROP MAPPING TABLE):
 * the catalog Tablestore's SQLQuery reads, per instance. A mapping is its
 * name and the CREATE statement as submitted; ots_sql.c parses it again
 * when a query uses it (cheap next to reading the rows). It is the SQL
 * catalog's, not the table's: DeleteTable leaves it (the service's
 * documented DROP MAPPING TABLE is the way to remove it), so a table
 * created again under the name is queried through the old mapping.
 *
 * Like the search-index registry, entries are keyed by instance, and the
 * world section copies and forgets them with the store. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu/limits.h"
#include "ots_int.h"

static ots_sql_mapping *g_map;
static size_t g_n, g_cap;

const ots_sql_mapping *ots_sqlmap_find(const ots_instance_t *in, const char *name)
{
    for (size_t i = 0; i < g_n; i++)
        if (g_map[i].in == in && strcasecmp(g_map[i].name, name) == 0)
            return &g_map[i];
    return NULL;
}

size_t ots_sqlmap_list(const ots_instance_t *in, const ots_sql_mapping **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < g_n; i++)
        if (g_map[i].in == in) {
            if (n < cap)
                out[n] = &g_map[i];
            n++;
        }
    return n;
}

static void add(const ots_instance_t *in, const char *name, const char *ddl)
{
    if (g_n == g_cap) {
        g_cap = g_cap ? 2 * g_cap : 16;
        g_map = emu_xrealloc(g_map, g_cap * sizeof *g_map);
    }
    g_map[g_n++] = (ots_sql_mapping){in, emu_xstrdup(name), emu_xstrdup(ddl)};
}

bool ots_sqlmap_add(const ots_instance_t *in, const char *name, const char *ddl)
{
    if (ots_sqlmap_list(in, NULL, 0) >= EMU_MAX_OTS_SQL_MAPPINGS)
        return false;
    add(in, name, ddl);
    return true;
}

static void drop_at(size_t i)
{
    free(g_map[i].name);
    free(g_map[i].ddl);
    g_map[i] = g_map[--g_n];
    if (!g_n) {
        free(g_map);
        g_map = NULL;
        g_cap = 0;
    }
}

bool ots_sqlmap_drop(const ots_instance_t *in, const char *name)
{
    const ots_sql_mapping *m = ots_sqlmap_find(in, name);
    if (!m)
        return false;
    drop_at((size_t)(m - g_map));
    return true;
}

void ots_sqlmap_clone_store(const ots_store_t *from, const ots_store_t *to)
{
    size_t n = g_n; /* entries added below belong to `to` */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < ots_store_instance_count(from); k++)
            if (g_map[i].in == ots_store_instance_at(from, k) && k < ots_store_instance_count(to)) {
                ots_sql_mapping m = g_map[i]; /* add() may move g_map */
                add(ots_store_instance_at(to, k), m.name, m.ddl);
            }
}

void ots_sqlmap_forget_store(const ots_store_t *s)
{
    for (size_t k = 0; s && k < ots_store_instance_count(s); k++) {
        const ots_instance_t *in = ots_store_instance_at(s, k);
        for (size_t i = g_n; i-- > 0;)
            if (g_map[i].in == in)
                drop_at(i);
    }
}
