/* ECS: the instances of an account (the "ECS" world section) and the
 * instance metadata service that the SDKs' ECS RAM-role credential
 * providers read (http://100.100.100.200/latest/...).
 *
 * acsemu runs no virtual machines: an instance is the identity a process
 * takes when it asks the metadata service for credentials, and the RAM
 * role attached to it. The metadata service mints real STS sessions of
 * that role (after the role's trust policy allows the ECS service), so the
 * credentials authenticate every other service of the world. */
#ifndef EMU_ECS_H
#define EMU_ECS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/dispatch.h"
#include "emu/world.h"
#include "emu/world_section.h"

/* Caps [acsemu choice]. */
#define ECS_MAX_INSTANCES 1000           /* instances per account */
#define ECS_METADATA_TOKEN_MAX_TTL 21600 /* X-aliyun-ecs-metadata-token-ttl-seconds: 1-21600 */

typedef struct ecs_instance {
    char *id;               /* InstanceId: "i-bp1..." */
    char *name;             /* InstanceName, or NULL */
    char *region;           /* RegionId, or NULL = the world's region */
    char *private_ip;       /* PrivateIpAddress, or NULL: see ecs_instance_for_peer */
    char *role_name;        /* RamRoleName, or NULL: no role attached */
    bool tokens_required;   /* MetadataOptions.HttpTokens "required" (IMDSv2 only) */
    bool endpoint_disabled; /* MetadataOptions.HttpEndpoint "disabled" */
    /* The session the metadata service last handed out for the role
     * (AccessKeyId), reused while it has more than an hour left, as the
     * cloud refreshes instance credentials ahead of their expiry. Not
     * exported. */
    char *session_key_id;
} ecs_instance;

extern const world_section ecs_world_section;
extern const emu_service emu_ecs_metadata_service;

/* Registers the world section (before any load). */
void ecs_register(void);

/* The instance a metadata request speaks for, by the caller's address the
 * way the cloud knows an instance by its network: the instance whose
 * PrivateIpAddress is `peer_ip`; else the one instance of the world that
 * gives no PrivateIpAddress. *owner = its account. NULL when none (or,
 * with *ambiguous set, when several instances claim the caller). */
ecs_instance *ecs_instance_for_peer(const world_t *w, const char *peer_ip, world_account **owner,
                                    bool *ambiguous);
size_t ecs_instance_count(const world_t *w, const char *account_id);
ecs_instance *ecs_instance_at(const world_t *w, const char *account_id, size_t i);

#endif
