"""The one error type the face engine raises for input it cannot use."""


class FaceImageError(ValueError):
    """The input is not an image the engine will decode.

    Raised for empty or oversized input, data that is not an image, corrupt or truncated
    files, unsupported formats and decompression bombs. The message is safe to show to an
    operator; it never contains image data.
    """
