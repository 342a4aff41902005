import Foundation
import NIOCore

/// Checks media bytes against their type's signature, where the type has one, before they go
/// anywhere: a client that sends base64 text where raw bytes belong (MLServer's own clients
/// put base64 strings in BYTES tensors) would otherwise reach the provider as a corrupt image,
/// silently.
///
/// The rule: bytes that carry their type's signature are used as they are; bytes that do not,
/// but are base64 whose decoded bytes do, are decoded (once, here); anything else is
/// INVALID_ARGUMENT naming the place and the type. Types without a signature (text/*, and any
/// this table does not know) pass as they are.
public enum MediaBytes {
    public static func checked(_ bytes: ByteBuffer, type: String, place: String) throws(InferenceError) -> ByteBuffer {
        guard let expected = MediaSignature.expected(for: type) else { return bytes }
        if MediaSignature.matches(bytes.readableBytesView, type: type) { return bytes }
        if let decoded = bytes.withUnsafeReadableBytes({ Base64Text.decode($0) }),
            MediaSignature.matches(decoded.readableBytesView, type: type) {
            return decoded
        }
        throw InferenceError(.invalidArgument, "\(place): the data is not \(type): it does not start with \(expected), raw or base64-encoded")
    }
}

/// The first bytes ("magic numbers") of the media types that have them.
public enum MediaSignature {
    /// What the type's data starts with, in words; nil when the type has no signature.
    public static func expected(for type: String) -> String? {
        switch normalized(type) {
        case "image/jpeg": "the JPEG marker FF D8 FF"
        case "image/png": "the PNG signature"
        case "image/gif": "GIF87a or GIF89a"
        case "image/webp": "a RIFF/WEBP header"
        case "image/heic", "image/heif", "video/mp4", "video/mov", "video/quicktime", "video/3gpp", "audio/aac-mp4", "audio/m4a":
            "an ISO media (ftyp) header"
        case "application/pdf": "%PDF-"
        case "audio/wav": "a RIFF/WAVE header"
        case "audio/mpeg": "an ID3 tag or an MPEG audio frame"
        case "audio/flac": "fLaC"
        case "audio/ogg": "OggS"
        case "audio/aiff": "a FORM/AIFF header"
        case "video/webm": "the EBML header 1A 45 DF A3"
        case "video/avi": "a RIFF/AVI header"
        default: nil
        }
    }

    public static func matches(_ bytes: some Collection<UInt8>, type: String) -> Bool {
        let head = Array(bytes.prefix(12))
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + prefix.count && Array(head[offset..<offset + prefix.count]) == prefix
        }
        func ascii(_ text: String, at offset: Int = 0) -> Bool { starts(Array(text.utf8), at: offset) }
        switch normalized(type) {
        case "image/jpeg": return starts([0xFF, 0xD8, 0xFF])
        case "image/png": return starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        case "image/gif": return ascii("GIF87a") || ascii("GIF89a")
        case "image/webp": return ascii("RIFF") && ascii("WEBP", at: 8)
        case "image/heic", "image/heif", "video/mp4", "video/mov", "video/quicktime", "video/3gpp", "audio/aac-mp4", "audio/m4a":
            return ascii("ftyp", at: 4)
        case "application/pdf": return ascii("%PDF-")
        case "audio/wav": return ascii("RIFF") && ascii("WAVE", at: 8)
        case "audio/mpeg": return ascii("ID3") || (head.count >= 2 && head[0] == 0xFF && head[1] & 0xE0 == 0xE0)
        case "audio/flac": return ascii("fLaC")
        case "audio/ogg": return ascii("OggS")
        case "audio/aiff": return ascii("FORM") && (ascii("AIFF", at: 8) || ascii("AIFC", at: 8))
        case "video/webm": return starts([0x1A, 0x45, 0xDF, 0xA3])
        case "video/avi": return ascii("RIFF") && ascii("AVI ", at: 8)
        default: return true
        }
    }

    /// One name per format: `audio/mp3` is `audio/mpeg`, `audio/x-wav` is `audio/wav`.
    static func normalized(_ type: String) -> String {
        let base = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch base {
        case "audio/mp3", "audio/mpeg3", "audio/x-mpeg-3": return "audio/mpeg"
        case "audio/x-wav", "audio/wave", "audio/vnd.wave": return "audio/wav"
        case "image/jpg": return "image/jpeg"
        case "audio/x-flac": return "audio/flac"
        case "audio/x-aiff": return "audio/aiff"
        case "video/x-msvideo": return "video/avi"
        default: return base
        }
    }
}
