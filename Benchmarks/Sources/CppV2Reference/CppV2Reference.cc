// Google's C++ protobuf (libprotobuf 3.21, Debian's libprotobuf-dev) behind the C interface in
// include/CppV2Reference.h. Decoding uses an arena per message, as a server would per request:
// parsed fields live in arena blocks and go away with it in one free.
#include "CppV2Reference.h"

#include <cstdlib>
#include <google/protobuf/arena.h>

#include "inference.pb.h"

struct iw_cpp_message {
    google::protobuf::MessageLite *message;
};

template <typename Message>
static int decode_on_arena(const uint8_t *bytes, size_t count) {
    google::protobuf::Arena arena;
    Message *message = google::protobuf::Arena::CreateMessage<Message>(&arena);
    return message->ParseFromArray(bytes, static_cast<int>(count)) ? 1 : 0;
}

template <typename Message>
static iw_cpp_message *parse(const uint8_t *bytes, size_t count) {
    Message *message = new Message();
    if (!message->ParseFromArray(bytes, static_cast<int>(count))) {
        delete message;
        return nullptr;
    }
    return new iw_cpp_message{message};
}

extern "C" {

int iw_cpp_request_decode_on_arena(const uint8_t *bytes, size_t count) {
    return decode_on_arena<inference::ModelInferRequest>(bytes, count);
}

int iw_cpp_response_decode_on_arena(const uint8_t *bytes, size_t count) {
    return decode_on_arena<inference::ModelInferResponse>(bytes, count);
}

iw_cpp_message *iw_cpp_request_parse(const uint8_t *bytes, size_t count) {
    return parse<inference::ModelInferRequest>(bytes, count);
}

iw_cpp_message *iw_cpp_response_parse(const uint8_t *bytes, size_t count) {
    return parse<inference::ModelInferResponse>(bytes, count);
}

void iw_cpp_message_free(iw_cpp_message *message) {
    delete message->message;
    delete message;
}

size_t iw_cpp_message_encode(const iw_cpp_message *message) {
    size_t size = message->message->ByteSizeLong();
    uint8_t *out = static_cast<uint8_t *>(std::malloc(size));
    message->message->SerializeWithCachedSizesToArray(out);
    // Keep the write from being optimized away: read one byte back through a volatile.
    volatile uint8_t sink = size > 0 ? out[size - 1] : 0;
    (void)sink;
    std::free(out);
    return size;
}

size_t iw_cpp_message_serialize(const iw_cpp_message *message, uint8_t *out, size_t capacity) {
    size_t size = message->message->ByteSizeLong();
    if (size > capacity) return 0;
    message->message->SerializeWithCachedSizesToArray(out);
    return size;
}

}
