#include "include/reference_shims.h"
#include <stdlib.h>

const ProtobufCMessageDescriptor *cref_descriptor(CRefMessage which) {
    switch (which) {
    case CREF_SERVER_LIVE_REQUEST: return &inference__server_live_request__descriptor;
    case CREF_SERVER_LIVE_RESPONSE: return &inference__server_live_response__descriptor;
    case CREF_SERVER_READY_REQUEST: return &inference__server_ready_request__descriptor;
    case CREF_SERVER_READY_RESPONSE: return &inference__server_ready_response__descriptor;
    case CREF_MODEL_READY_REQUEST: return &inference__model_ready_request__descriptor;
    case CREF_MODEL_READY_RESPONSE: return &inference__model_ready_response__descriptor;
    case CREF_SERVER_METADATA_REQUEST: return &inference__server_metadata_request__descriptor;
    case CREF_SERVER_METADATA_RESPONSE: return &inference__server_metadata_response__descriptor;
    case CREF_MODEL_METADATA_REQUEST: return &inference__model_metadata_request__descriptor;
    case CREF_MODEL_METADATA_RESPONSE: return &inference__model_metadata_response__descriptor;
    case CREF_INFER_PARAMETER: return &inference__infer_parameter__descriptor;
    case CREF_INFER_TENSOR_CONTENTS: return &inference__infer_tensor_contents__descriptor;
    case CREF_MODEL_INFER_REQUEST: return &inference__model_infer_request__descriptor;
    case CREF_MODEL_INFER_RESPONSE: return &inference__model_infer_response__descriptor;
    case CREF_MODEL_STREAM_INFER_RESPONSE: return &inference__model_stream_infer_response__descriptor;
    case CREF_MODEL_REPOSITORY_PARAMETER: return &inference__model_repository_parameter__descriptor;
    case CREF_REPOSITORY_INDEX_REQUEST: return &inference__repository_index_request__descriptor;
    case CREF_REPOSITORY_INDEX_RESPONSE: return &inference__repository_index_response__descriptor;
    case CREF_REPOSITORY_MODEL_LOAD_REQUEST: return &inference__repository_model_load_request__descriptor;
    case CREF_REPOSITORY_MODEL_LOAD_RESPONSE: return &inference__repository_model_load_response__descriptor;
    case CREF_REPOSITORY_MODEL_UNLOAD_REQUEST: return &inference__repository_model_unload_request__descriptor;
    case CREF_REPOSITORY_MODEL_UNLOAD_RESPONSE: return &inference__repository_model_unload_response__descriptor;
    case CREF_REQUEST_HEADERS: return &inferwire__request_headers__descriptor;
    case CREF_STATUS: return &inferwire__status__descriptor;
    }
    return NULL;
}

long cref_repack(CRefMessage which, const uint8_t *data, size_t length, uint8_t **out) {
    ProtobufCMessage *message = protobuf_c_message_unpack(cref_descriptor(which), NULL, length, data);
    if (message == NULL) return -1;
    long packed = cref_pack(message, out);
    protobuf_c_message_free_unpacked(message, NULL);
    return packed;
}

long cref_pack(const ProtobufCMessage *message, uint8_t **out) {
    size_t size = protobuf_c_message_get_packed_size(message);
    *out = malloc(size > 0 ? size : 1);
    return (long)protobuf_c_message_pack(message, *out);
}
