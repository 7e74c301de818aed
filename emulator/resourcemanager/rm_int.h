/* Module-private state of the resource directory (one per management
 * account, in its "ResourceDirectory" world section). */
#ifndef EMU_RM_INT_H
#define EMU_RM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/dispatch.h"
#include "emu/limits.h"
#include "emu/policy.h"
#include "emu/resourcemanager.h"
#include "emu/world.h"

typedef struct rm_folder {
    char *id;     /* "fd-…" */
    char *name;   /* FolderName */
    char *parent; /* ParentFolderId: another folder or the Root folder */
    int64_t create_ms;
} rm_folder;

typedef struct rm_member {
    char *account_id;
    char *folder; /* FolderId it sits in (the Root folder by default) */
    char *display_name;
    int64_t join_ms;
} rm_member;

typedef struct rm_policy {
    char *id;   /* "cp-…" */
    char *name; /* PolicyName, unique in the directory */
    char *description;
    char *effect_scope; /* "RAM" */
    char *document;     /* the text as given */
    policy_doc_t *doc;  /* compiled, labelled (name, "Custom", "v1") */
    int64_t create_ms, update_ms;
} rm_policy;

typedef struct rm_attach {
    char *policy_id;         /* a Custom id, or a System one (cp-FullAliyunAccess) */
    char *target;            /* Root folder, folder or member account id */
    const policy_doc_t *doc; /* resolved: the policy's compiled document */
    int64_t attach_ms;
} rm_attach;

typedef struct rm_dir {
    char *id;      /* ResourceDirectoryId "rd-…" */
    char *root_id; /* RootFolderId "r-…" */
    char *master;  /* the management account */
    bool control_enabled;
    int64_t create_ms;
    rm_folder *folders;
    size_t n_folders;
    rm_member *members;
    size_t n_members;
    rm_policy *policies;
    size_t n_policies;
    rm_attach *attach;
    size_t n_attach;
} rm_dir;

/* The directory the account manages (its section state), or NULL. */
rm_dir *rm__dir_of(const world_t *w, const char *account_id);
/* The directory account_id is a member of, or NULL. */
rm_dir *rm__dir_with_member(const world_t *w, const char *account_id);

rm_folder *rm__folder_find(const rm_dir *d, const char *id);
rm_member *rm__member_find(const rm_dir *d, const char *account_id);
rm_policy *rm__policy_find(const rm_dir *d, const char *id);
/* True when id names the Root folder, a folder or a member. */
bool rm__target_exists(const rm_dir *d, const char *id);
/* Attached documents of target t counted. */
size_t rm__attach_count(const rm_dir *d, const char *target);
size_t rm__policy_attachments(const rm_dir *d, const char *policy_id);
/* Appends an attachment (no checks) and drops one. */
void rm__attach_add(rm_dir *d, const char *policy_id, const char *target, const policy_doc_t *doc,
                    int64_t now_ms);
void rm__attach_remove(rm_dir *d, size_t i);

/* Compiles a control policy document (permission grammar, at most
 * EMU_MAX_CONTROL_POLICY_BYTES characters), labelled (name, "Custom", "v1"). */
emu_rc rm__compile(const char *text, size_t len, const char *name, policy_doc_t **out,
                   emu_err *err);

/* A deterministic id: prefix + 16 characters hashed from the directory and
 * the name (world_make_id), so ids survive reset and restart. */
char *rm__make_id(const char *master, const char *kind, const char *name, const char *prefix);

#endif
