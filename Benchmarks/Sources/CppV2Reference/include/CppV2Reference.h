// A C interface to Google's C++ protobuf code for proto/inference.proto, so that Swift (without
// C++ interop) can time it next to ProtoWire and protobuf-c. Messages are opaque handles.
#ifndef INFERWIRE_CPP_V2_REFERENCE_H
#define INFERWIRE_CPP_V2_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct iw_cpp_message iw_cpp_message;

/// The decode benchmark's unit: parse `bytes` into a message on a fresh arena, then free the
/// arena (the message with it). Returns 1 when the bytes parsed.
int iw_cpp_request_decode_on_arena(const uint8_t *bytes, size_t count);
int iw_cpp_response_decode_on_arena(const uint8_t *bytes, size_t count);

/// A message parsed once (on the heap), to encode again and again; NULL if the bytes do not parse.
iw_cpp_message *iw_cpp_request_parse(const uint8_t *bytes, size_t count);
iw_cpp_message *iw_cpp_response_parse(const uint8_t *bytes, size_t count);
void iw_cpp_message_free(iw_cpp_message *message);

/// The encode benchmark's unit: ByteSizeLong, malloc, SerializeWithCachedSizesToArray, free.
/// Returns the encoded size.
size_t iw_cpp_message_encode(const iw_cpp_message *message);

/// Serializes into `out` (at least `capacity` bytes) for the fixtures' cross-check; returns the
/// size written, or 0 if it does not fit.
size_t iw_cpp_message_serialize(const iw_cpp_message *message, uint8_t *out, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
