/* Fuzzes the MaxCompute XML readers (odps_xml.c, libxml2 underneath): the
 * instance-creation body, the ?result answer and the Error body; and the
 * client PlainBuffer decoder of the read path on the same bytes. */
#include <stdint.h>
#include <string.h>

#include "odps_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    emu_arena *a = emu_arena_new(0);
    emu_err err = {0};
    odps_job job;
    odps_xml_result res;
    const char *code, *msg;
    odps_prow *rows;
    size_t n;
    odps_xml_parse_job((const char *)data, size, a, &job, &err);
    odps_xml_parse_result((const char *)data, size, a, &res, &err);
    odps_xml_parse_error((const char *)data, size, a, &code, &msg, &err);
    odps_pbuf_decode_rows(data, size, a, &rows, &n, &err);
    emu_arena_free(a);
    return 0;
}
