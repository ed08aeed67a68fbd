/* A stand-in for Windows' bcryptprimitives.dll, for wine versions without it (wine 8, as in
 * Debian 12): Rust's standard library imports `ProcessPrng` from it for its random seeds
 * (HashMap keys). Built by scripts/windows.sh with MinGW; never used on real Windows.
 * ProcessPrng fills `data` with `len` random bytes and always succeeds; this one asks
 * RtlGenRandom (advapi32's SystemFunction036), in pieces that fit its ULONG length. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG piece = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, piece))
            return FALSE;
        data += piece;
        len -= piece;
    }
    return TRUE;
}
