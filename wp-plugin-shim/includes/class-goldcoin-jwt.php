<?php
/**
 * HS256 JSON Web Tokens without dependencies: signing the widget's token and verifying the sidecar's
 * download token. Only HS256 is accepted, so a token cannot choose its own algorithm.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Jwt {
	const CLOCK_SKEW_S    = 30;
	const MAX_TOKEN_BYTES = 4096;

	public static function base64url_encode( string $bytes ): string {
		return rtrim( strtr( base64_encode( $bytes ), '+/', '-_' ), '=' );
	}

	public static function base64url_decode( string $text ): ?string {
		if ( ! preg_match( '/^[A-Za-z0-9_-]*$/', $text ) ) {
			return null;
		}
		$decoded = base64_decode( strtr( $text, '-_', '+/' ), true );
		return false === $decoded ? null : $decoded;
	}

	public static function encode( array $claims, string $secret ): string {
		$header  = self::base64url_encode( (string) wp_json_encode( array( 'alg' => 'HS256', 'typ' => 'JWT' ) ) );
		$payload = self::base64url_encode( (string) wp_json_encode( $claims, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE ) );
		$signed  = $header . '.' . $payload;
		return $signed . '.' . self::base64url_encode( hash_hmac( 'sha256', $signed, $secret, true ) );
	}

	/**
	 * Verifies signature, audience, issuer and lifetime (issued, not expired, and never claiming to
	 * live longer than $max_lifetime_s); returns the claims, or null for any token that is not exactly
	 * right (callers answer every failure the same way).
	 */
	public static function decode( string $token, string $secret, string $audience, string $issuer, int $now_s, int $max_lifetime_s ): ?array {
		if ( strlen( $token ) > self::MAX_TOKEN_BYTES || strlen( $secret ) < Goldcoin_Settings::MIN_SECRET_LEN ) {
			return null;
		}
		$parts = explode( '.', $token );
		if ( 3 !== count( $parts ) ) {
			return null;
		}
		$header    = json_decode( (string) self::base64url_decode( $parts[0] ), true );
		$claims    = json_decode( (string) self::base64url_decode( $parts[1] ), true );
		$signature = self::base64url_decode( $parts[2] );
		if ( ! is_array( $header ) || ! is_array( $claims ) || null === $signature ) {
			return null;
		}
		if ( ( $header['alg'] ?? '' ) !== 'HS256' ) {
			return null;
		}
		$expected = hash_hmac( 'sha256', $parts[0] . '.' . $parts[1], $secret, true );
		if ( ! hash_equals( $expected, $signature ) ) {
			return null;
		}
		$aud = $claims['aud'] ?? null;
		if ( ! ( $aud === $audience || ( is_array( $aud ) && in_array( $audience, $aud, true ) ) ) ) {
			return null;
		}
		if ( ! is_string( $claims['iss'] ?? null ) || untrailingslashit( $claims['iss'] ) !== untrailingslashit( $issuer ) ) {
			return null;
		}
		if ( ! is_int( $claims['exp'] ?? null ) || $claims['exp'] + self::CLOCK_SKEW_S < $now_s ) {
			return null;
		}
		if ( isset( $claims['nbf'] ) && ( ! is_int( $claims['nbf'] ) || $claims['nbf'] - self::CLOCK_SKEW_S > $now_s ) ) {
			return null;
		}
		if ( ! is_int( $claims['iat'] ?? null ) || $claims['iat'] - self::CLOCK_SKEW_S > $now_s || $claims['exp'] - $claims['iat'] > $max_lifetime_s ) {
			return null;
		}
		return $claims;
	}
}
