"""placeholder"""
def quiet_llama_logs() -> None:
    import ctypes
    from llama_cpp import llama_cpp as C
    global _LOG_CB
    if globals().get("_LOG_CB") is None:
        _LOG_CB = C.llama_log_callback(lambda level, text, data: None)
        C.llama_log_set(_LOG_CB, ctypes.c_void_p(0))
