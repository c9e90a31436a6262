//! Shamir secret sharing over GF(2^8) with the AES polynomial (x^8 + x^4 + x^3 + x + 1),
//! share layout compatible with SOPS (y bytes followed by one x byte).

use rand::RngCore;

fn mul(a: u8, b: u8) -> u8 {
    let (mut a, mut b, mut r) = (a, b, 0u8);
    while b != 0 {
        if b & 1 != 0 {
            r ^= a;
        }
        let hi = a & 0x80;
        a <<= 1;
        if hi != 0 {
            a ^= 0x1b;
        }
        b >>= 1;
    }
    r
}

fn inv(a: u8) -> u8 {
    // a^254 = a^-1 in GF(2^8); inv(0) = 0.
    let mut r = 1u8;
    let mut base = a;
    let mut e = 254u32;
    while e > 0 {
        if e & 1 == 1 {
            r = mul(r, base);
        }
        base = mul(base, base);
        e >>= 1;
    }
    r
}

/// Splits `secret` into `parts` shares of which `threshold` recover it.
pub fn split(secret: &[u8], parts: usize, threshold: usize) -> Result<Vec<Vec<u8>>, String> {
    if parts < threshold {
        return Err("parts cannot be less than threshold".into());
    }
    if parts > 255 || threshold > 255 {
        return Err("at most 255 key groups".into());
    }
    if threshold < 2 {
        return Err("shamir threshold must be at least 2".into());
    }
    if secret.is_empty() {
        return Err("cannot split an empty secret".into());
    }
    let mut out: Vec<Vec<u8>> = (0..parts)
        .map(|i| {
            let mut v = vec![0u8; secret.len() + 1];
            v[secret.len()] = (i + 1) as u8;
            v
        })
        .collect();
    let mut coeffs = vec![0u8; threshold];
    for (idx, &s) in secret.iter().enumerate() {
        coeffs[0] = s;
        rand::rngs::OsRng.fill_bytes(&mut coeffs[1..]);
        for (i, share) in out.iter_mut().enumerate() {
            let x = (i + 1) as u8;
            // Horner evaluation.
            let mut y = 0u8;
            for &c in coeffs.iter().rev() {
                y = mul(y, x) ^ c;
            }
            share[idx] = y;
        }
    }
    Ok(out)
}

/// Recovers the secret from shares produced by [`split`] (or by SOPS).
pub fn combine(shares: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    if shares.len() < 2 {
        return Err("at least two shares are needed".into());
    }
    let len = shares[0].len();
    if len < 2 || shares.iter().any(|s| s.len() != len) {
        return Err("shares have different or too short lengths".into());
    }
    let xs: Vec<u8> = shares.iter().map(|s| s[len - 1]).collect();
    for (i, x) in xs.iter().enumerate() {
        if xs[..i].contains(x) {
            return Err("duplicate share".into());
        }
    }
    let mut secret = vec![0u8; len - 1];
    for (idx, out) in secret.iter_mut().enumerate() {
        let mut acc = 0u8;
        for (i, &xi) in xs.iter().enumerate() {
            // Lagrange basis at 0: prod_{j!=i} x_j / (x_j - x_i)
            let mut basis = 1u8;
            for (j, &xj) in xs.iter().enumerate() {
                if i != j {
                    basis = mul(basis, mul(xj, inv(xj ^ xi)));
                }
            }
            acc ^= mul(basis, shares[i][idx]);
        }
        *out = acc;
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field() {
        assert_eq!(mul(0x57, 0x83), 0xc1);
        for a in 1..=255u8 {
            assert_eq!(mul(a, inv(a)), 1);
        }
    }

    #[test]
    fn split_combine() {
        let secret = b"0123456789abcdef0123456789abcdef";
        let shares = split(secret, 3, 2).unwrap();
        assert_eq!(combine(&shares[0..2]).unwrap(), secret);
        assert_eq!(
            combine(&[shares[2].clone(), shares[0].clone()]).unwrap(),
            secret
        );
        assert_eq!(combine(&shares).unwrap(), secret);
    }
}
