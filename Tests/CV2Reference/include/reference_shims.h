// Small C helpers around the protobuf-c reference codec for the differential tests.
// Hand-written (the generated pair next to it is protoc-c output).
#ifndef INFERWIRE_REFERENCE_SHIMS_H
#define INFERWIRE_REFERENCE_SHIMS_H

#include <stddef.h>
#include <stdint.h>
#include <protobuf-c/protobuf-c.h>
#include "inference.pb-c.h"
#include "inferwire.pb-c.h"

// Every message of proto/inference.proto, for tests that run over all of them.
typedef enum {
    CREF_SERVER_LIVE_REQUEST,
    CREF_SERVER_LIVE_RESPONSE,
    CREF_SERVER_READY_REQUEST,
    CREF_SERVER_READY_RESPONSE,
    CREF_MODEL_READY_REQUEST,
    CREF_MODEL_READY_RESPONSE,
    CREF_SERVER_METADATA_REQUEST,
    CREF_SERVER_METADATA_RESPONSE,
    CREF_MODEL_METADATA_REQUEST,
    CREF_MODEL_METADATA_RESPONSE,
    CREF_INFER_PARAMETER,
    CREF_INFER_TENSOR_CONTENTS,
    CREF_MODEL_INFER_REQUEST,
    CREF_MODEL_INFER_RESPONSE,
    CREF_MODEL_STREAM_INFER_RESPONSE,
    CREF_MODEL_REPOSITORY_PARAMETER,
    CREF_REPOSITORY_INDEX_REQUEST,
    CREF_REPOSITORY_INDEX_RESPONSE,
    CREF_REPOSITORY_MODEL_LOAD_REQUEST,
    CREF_REPOSITORY_MODEL_LOAD_RESPONSE,
    CREF_REPOSITORY_MODEL_UNLOAD_REQUEST,
    CREF_REPOSITORY_MODEL_UNLOAD_RESPONSE,
    CREF_REQUEST_HEADERS,
    CREF_STATUS,
} CRefMessage;

const ProtobufCMessageDescriptor *cref_descriptor(CRefMessage which);

// Unpacks `data` with protobuf-c and packs the result again. Returns -1 when protobuf-c rejects
// the input; otherwise the packed length, with the bytes in *out (free with free()).
long cref_repack(CRefMessage which, const uint8_t *data, size_t length, uint8_t **out);

// Packs a message built in Swift. Returns the length, bytes in *out (free with free()).
long cref_pack(const ProtobufCMessage *message, uint8_t **out);

#endif
