//! The only `unsafe` code of the addon: a JavaScript function made through
//! raw Node-API, which owns a Rust value and calls a safe Rust function
//! with it and the call's arguments.
//!
//! A `#[napi]` method costs more per call than the method itself needs:
//! napi-rs unwraps the receiver (`napi_unwrap`), checks its class, and
//! records each borrow of the receiver and the arguments in a scope
//! (allocated and freed per call). The logger's hot path (`logTaped`,
//! called once per record) needs none of it: the function made by
//! [`function`] holds its own clone of the logger as the function's data
//! (Node-API hands it back with the arguments), borrows it shared (the
//! engine's logger is `Sync` and takes `&self`), and is otherwise what
//! napi-rs makes: the arguments are the same `Unknown`s, converted by the
//! same `FromNapiValue` code, and an `Err` is thrown through napi-rs's
//! `JsError::throw_into`, so a failure throws the same JavaScript object.
//! The data is dropped by the function's finalizer, when the function is
//! collected.

use std::ffi::{CStr, c_void};
use std::ptr;

use napi::bindgen_prelude::{Env, JsValue, Result, Unknown};
use napi::{JsError, Status, sys};

/// The most arguments a function made here receives (more are ignored).
pub(crate) const MAX_ARGS: usize = 8;

/// The Rust side of a function made by [`function`]: its data, the call's
/// environment and the arguments passed (at most [`MAX_ARGS`]).
pub(crate) type Call<T> = for<'env> fn(&T, &'env Env, &[Unknown<'env>]) -> Result<Unknown<'env>>;

/// What the function owns: its data and the Rust function to call.
struct Bound<T> {
    data: T,
    call: Call<T>,
}

/// A JavaScript function named `name` that calls `call(&data, env, args)`
/// and returns its value, or throws its error. `data` is dropped when the
/// function is collected.
pub(crate) fn function<'env, T: 'static>(
    env: &'env Env,
    name: &CStr,
    data: T,
    call: Call<T>,
) -> Result<Unknown<'env>> {
    let bound = Box::into_raw(Box::new(Bound { data, call }));
    let mut f = ptr::null_mut();
    let name_len = isize::try_from(name.to_bytes().len()).unwrap_or(0);
    // SAFETY: `env` is the environment of the current call; `name` is a
    // NUL-terminated string of `name_len` bytes; `bound` is a valid pointer
    // that the function keeps as its data, and `trampoline::<T>` reads it
    // as a `Bound<T>`, which it is.
    let status = unsafe {
        sys::napi_create_function(
            env.raw(),
            name.as_ptr(),
            name_len,
            Some(trampoline::<T>),
            bound.cast::<c_void>(),
            &mut f,
        )
    };
    if status != sys::Status::napi_ok {
        // SAFETY: no function was made, so nothing else holds `bound`,
        // which came from `Box::into_raw` just above.
        drop(unsafe { Box::from_raw(bound) });
        return Err(napi::Error::new(
            Status::from(status),
            "Failed to create a function",
        ));
    }
    // SAFETY: `f` is the function just made in `env`; the finalizer gets
    // `bound` back once, when `f` is collected, and frees it then, after
    // the last call of `f`.
    let status = unsafe {
        sys::napi_add_finalizer(
            env.raw(),
            f,
            bound.cast::<c_void>(),
            Some(finalize::<T>),
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    if status != sys::Status::napi_ok {
        // `f` may still be called (it is not returned, but it exists until
        // collected), so `bound` is left allocated: a leak, never a
        // dangling pointer.
        return Err(napi::Error::new(
            Status::from(status),
            "Failed to add a finalizer",
        ));
    }
    // SAFETY: `f` is a function value of `env`, alive in the current
    // handle scope.
    Ok(unsafe { Unknown::from_raw_unchecked(env.raw(), f) })
}

/// The native callback of a function made by [`function`].
unsafe extern "C" fn trampoline<T>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    let mut argc = MAX_ARGS;
    let mut argv = [ptr::null_mut(); MAX_ARGS];
    let mut data = ptr::null_mut();
    // SAFETY: `env` and `info` are those Node-API passed to this callback;
    // `argv` has room for `argc` values.
    let status = unsafe {
        sys::napi_get_cb_info(
            env,
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            &mut data,
        )
    };
    let result = if status == sys::Status::napi_ok && !data.is_null() {
        // SAFETY: `data` is the `Bound<T>` that `function` gave this
        // function; the finalizer frees it only once the function is
        // collected, so not while it runs.
        let bound = unsafe { &*data.cast::<Bound<T>>() };
        let wrapped = Env::from_raw(env);
        let n = argc.min(MAX_ARGS);
        // SAFETY: all of `argv` are values of `env`, alive for this call
        // (Node-API fills the slots past the arguments passed with
        // `undefined`); only the first `n` are passed on.
        let args = argv.map(|v| unsafe { Unknown::from_raw_unchecked(env, v) });
        (bound.call)(&bound.data, &wrapped, args.get(..n).unwrap_or_default())
            .map(|value| value.raw())
    } else {
        Err(napi::Error::new(
            Status::from(status),
            "Failed to read the arguments of a call",
        ))
    };
    result.unwrap_or_else(|e| {
        // SAFETY: `env` is the environment of this call (what napi-rs's own
        // callbacks do with an error).
        unsafe { JsError::from(e).throw_into(env) };
        ptr::null_mut()
    })
}

/// Frees the data of a collected function made by [`function`].
unsafe extern "C" fn finalize<T>(_env: sys::napi_env, data: *mut c_void, _hint: *mut c_void) {
    if !data.is_null() {
        // SAFETY: `data` is the `Bound<T>` that `function` leaked for this
        // function, passed here once, after the function's last call.
        drop(unsafe { Box::from_raw(data.cast::<Bound<T>>()) });
    }
}

/// Copies the JavaScript string `value` of `env` into `buf` as its UTF-16
/// units, replacing what `buf` held and reusing its allocation: the units
/// and the error (a `value` that is not a string) of napi-rs's
/// `Utf16String`, without a new zeroed vector per call.
pub(crate) fn utf16_into(env: &Env, value: Unknown<'_>, buf: &mut Vec<u16>) -> Result<()> {
    let failed = |status| {
        napi::Error::new(
            Status::from(status),
            "Failed to convert napi `utf16 string` into rust type `String`",
        )
    };
    let mut len = 0;
    // SAFETY: `value` is a value of `env`, alive for this call; with no
    // buffer, Node-API only writes the string's length into `len`.
    let status = unsafe {
        sys::napi_get_value_string_utf16(env.raw(), value.raw(), ptr::null_mut(), 0, &mut len)
    };
    if status != sys::Status::napi_ok {
        return Err(failed(status));
    }
    // Room for the units and the terminating NUL Node-API writes.
    buf.clear();
    buf.resize(len + 1, 0);
    let mut written = 0;
    // SAFETY: `buf` holds `buf.len()` units, the size passed, which
    // Node-API writes at most (the units, cut short if need be, and a NUL).
    let status = unsafe {
        sys::napi_get_value_string_utf16(
            env.raw(),
            value.raw(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut written,
        )
    };
    if status != sys::Status::napi_ok {
        return Err(failed(status));
    }
    buf.truncate(written);
    Ok(())
}
