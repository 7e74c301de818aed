/* Fuzzes offline replay (emu_decision_replay with no world): the input is
 * a replay bundle, a file users hand around, so anything in it must give a
 * located error or a decision, never a crash. MaxCompute's permission model
 * is registered, so "ruleInput" checks reach odps_acl_replay too. */
#include <stdint.h>
#include <stdlib.h>

#include "emu/decision.h"
#include "emu/odps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool registered;
    if (!registered) {
        emu_odps_register_authz();
        registered = true;
    }
    cJSON *bundle = cJSON_ParseWithLength((const char *)data, size);
    if (!bundle)
        return 0;
    bool allowed = false;
    emu_err err = {0};
    cJSON *out = emu_decision_replay(bundle, NULL, &allowed, &err);
    if (!out && !err.msg[0])
        abort(); /* a refusal always says why */
    cJSON_Delete(out);
    cJSON_Delete(bundle);
    return 0;
}
