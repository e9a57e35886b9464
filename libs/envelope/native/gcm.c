/*
 * AES-GCM over caller-owned buffers, for the sealed-blob segment cipher (libs/envelope).
 *
 * Why this exists: node:crypto's Cipher.update allocates a fresh output buffer on every call (input + 1 byte, then
 * shrinks it with a copy), so at segment sizes the process spends more time faulting in and copying pages than in
 * AES-GCM. Here the JavaScript side owns the output buffers and OpenSSL writes straight into them; one call seals or
 * opens one whole segment (a list of input pieces) with its nonce, AAD and tag.
 *
 * It calls the OpenSSL that node itself bundles and exports to addons (the same library node:crypto uses), so there is
 * no second crypto library in the process and no OpenSSL headers are needed: the few EVP entry points below are
 * OpenSSL 3's stable public ABI. Only node_api.h is needed to build.
 */
#include <stddef.h>
#include <string.h>
#define NAPI_VERSION 8
#include <node_api.h>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_cipher_st EVP_CIPHER;
typedef struct engine_st ENGINE;
EVP_CIPHER_CTX *EVP_CIPHER_CTX_new(void);
void EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *ctx);
const EVP_CIPHER *EVP_aes_128_gcm(void);
const EVP_CIPHER *EVP_aes_192_gcm(void);
const EVP_CIPHER *EVP_aes_256_gcm(void);
int EVP_CipherInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *type, ENGINE *impl, const unsigned char *key,
                      const unsigned char *iv, int enc);
int EVP_CipherUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl);
int EVP_CipherFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *outm, int *outl);
int EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX *ctx, int type, int arg, void *ptr);
void OPENSSL_cleanse(void *ptr, size_t len);
#define EVP_CTRL_GCM_SET_IVLEN 0x9
#define EVP_CTRL_GCM_GET_TAG 0x10
#define EVP_CTRL_GCM_SET_TAG 0x11

#define TAG_LENGTH 16
#define NONCE_LENGTH 12
#define MAX_UPDATE 0x40000000 /* EVP lengths are ints: feed at most 1 GiB per update */

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static int buffer_arg(napi_env env, napi_value value, unsigned char **data, size_t *length) {
  bool is_buffer = false;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer) return 0;
  return napi_get_buffer_info(env, value, (void **)data, length) == napi_ok;
}

static const EVP_CIPHER *cipher_for(size_t key_length) {
  switch (key_length) {
    case 16: return EVP_aes_128_gcm();
    case 24: return EVP_aes_192_gcm();
    case 32: return EVP_aes_256_gcm();
    default: return NULL;
  }
}

/*
 * gcm(encrypt, key, nonce, aad, inputs[], outputs[], tag) -> boolean
 * outputs[i] must be exactly as long as inputs[i] (it may be the same buffer: in place). Encrypting writes the tag
 * into `tag` (16 bytes) and returns true. Decrypting checks `tag` and returns false if authentication fails, after
 * zeroing every output. Argument errors throw TypeError.
 */
static napi_value gcm(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7) return throw_type(env, "gcm: 7 arguments");
  bool encrypt = false;
  if (napi_get_value_bool(env, argv[0], &encrypt) != napi_ok) return throw_type(env, "gcm: encrypt must be a boolean");
  unsigned char *key, *nonce, *aad, *tag;
  size_t key_length, nonce_length, aad_length, tag_length;
  if (!buffer_arg(env, argv[1], &key, &key_length) || cipher_for(key_length) == NULL) return throw_type(env, "gcm: key must be a 16, 24 or 32 byte Buffer");
  if (!buffer_arg(env, argv[2], &nonce, &nonce_length) || nonce_length != NONCE_LENGTH) return throw_type(env, "gcm: nonce must be a 12 byte Buffer");
  if (!buffer_arg(env, argv[3], &aad, &aad_length) || aad_length > MAX_UPDATE) return throw_type(env, "gcm: aad must be a Buffer");
  if (!buffer_arg(env, argv[6], &tag, &tag_length) || tag_length != TAG_LENGTH) return throw_type(env, "gcm: tag must be a 16 byte Buffer");
  bool is_array = false;
  uint32_t pieces = 0, outputs = 0;
  if (napi_is_array(env, argv[4], &is_array) != napi_ok || !is_array) return throw_type(env, "gcm: inputs must be an array");
  if (napi_is_array(env, argv[5], &is_array) != napi_ok || !is_array) return throw_type(env, "gcm: outputs must be an array");
  napi_get_array_length(env, argv[4], &pieces);
  napi_get_array_length(env, argv[5], &outputs);
  if (pieces != outputs) return throw_type(env, "gcm: inputs and outputs differ in length");

  /* Check every piece before touching any output, so a bad argument never leaves half-written buffers. */
  for (uint32_t i = 0; i < pieces; i++) {
    napi_value in_value, out_value;
    unsigned char *in, *out;
    size_t in_length, out_length;
    napi_get_element(env, argv[4], i, &in_value);
    napi_get_element(env, argv[5], i, &out_value);
    if (!buffer_arg(env, in_value, &in, &in_length) || !buffer_arg(env, out_value, &out, &out_length)) return throw_type(env, "gcm: inputs and outputs must be Buffers");
    if (in_length != out_length) return throw_type(env, "gcm: an output differs in length from its input");
    /* Partial overlap would corrupt the input as it is read; exact overlap (in place) is what EVP supports. */
    if (in != out && in < out + out_length && out < in + in_length) return throw_type(env, "gcm: an output partly overlaps its input");
  }

  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) { napi_throw_error(env, NULL, "gcm: out of memory"); return NULL; }
  int ok = EVP_CipherInit_ex(ctx, cipher_for(key_length), NULL, NULL, NULL, encrypt ? 1 : 0) == 1
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, NONCE_LENGTH, NULL) == 1
        && EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, -1) == 1;
  int outl = 0;
  if (ok && aad_length > 0) ok = EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_length) == 1;
  if (ok && !encrypt) ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LENGTH, tag) == 1;
  int internal_error = !ok;
  for (uint32_t i = 0; ok && i < pieces; i++) {
    napi_value in_value, out_value;
    unsigned char *in, *out;
    size_t length, out_length;
    napi_get_element(env, argv[4], i, &in_value);
    napi_get_element(env, argv[5], i, &out_value);
    buffer_arg(env, in_value, &in, &length);
    buffer_arg(env, out_value, &out, &out_length);
    for (size_t o = 0; ok && o < length; o += MAX_UPDATE) {
      int n = (int)(length - o < MAX_UPDATE ? length - o : MAX_UPDATE);
      ok = EVP_CipherUpdate(ctx, out + o, &outl, in + o, n) == 1 && outl == n;
      internal_error = !ok;
    }
  }
  unsigned char final_block[TAG_LENGTH];
  if (ok) {
    /* For decryption this is the tag check: a failure here is an authentication failure, not an internal error. */
    ok = EVP_CipherFinal_ex(ctx, final_block, &outl) == 1 && outl == 0;
    internal_error = encrypt && !ok;
  }
  if (ok && encrypt) {
    ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LENGTH, tag) == 1;
    internal_error = !ok;
  }
  EVP_CIPHER_CTX_free(ctx);

  if (!ok) {
    /* Never hand back unauthenticated plaintext or partial ciphertext. */
    for (uint32_t i = 0; i < pieces; i++) {
      napi_value out_value;
      unsigned char *out;
      size_t out_length;
      napi_get_element(env, argv[5], i, &out_value);
      if (buffer_arg(env, out_value, &out, &out_length)) OPENSSL_cleanse(out, out_length);
    }
    if (internal_error) { napi_throw_error(env, NULL, "gcm: OpenSSL AES-GCM failed"); return NULL; }
  }
  napi_value result;
  napi_get_boolean(env, ok ? true : false, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "gcm", NAPI_AUTO_LENGTH, gcm, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "gcm", fn) != napi_ok) return NULL;
  return exports;
}
