<?php
/**
 * The widget's token: an HS256 JWT with the claims the sidecar expects (DESIGN.md, "JWT"), minted
 * for the logged-in user on every page view and on refresh.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Tokens {
	const AUDIENCE   = 'goldcoin';
	const LIFETIME_S = 12 * MINUTE_IN_SECONDS;
	const KNOWN_CAPS = array( 'read', 'edit_posts', 'manage_options' );
	/** What a token may carry, by where it is used: a visitor widget only reads, the admin view may do more. */
	const SCOPES = array(
		'visitor' => array( 'read' ),
		'admin'   => array( 'read', 'edit_posts', 'manage_options' ),
	);

	/** The issuer the sidecar pins (its WP_HOME): the home URL without a trailing slash. */
	public static function issuer(): string {
		return untrailingslashit( home_url() );
	}

	/**
	 * Returns null for a visitor who is not logged in or a site with no secret yet. The scope is 'admin'
	 * only for the admin page; every other page gets a read-only token even when an administrator opens it.
	 */
	public static function mint_for_current_user( int $post_id = 0, string $scope = 'visitor' ): ?string {
		$user = wp_get_current_user();
		if ( ! $user->exists() ) {
			return null;
		}
		$secret = Goldcoin_Settings::jwt_secret();
		if ( strlen( $secret ) < Goldcoin_Settings::MIN_SECRET_LEN ) {
			return null;
		}
		Goldcoin_Role_Grants::apply_pending( $user );
		return Goldcoin_Jwt::encode( self::claims( $user, $post_id, time(), $scope ), $secret );
	}

	/** A visitor token for a user who is not (yet) the current one: the server's own call at registration or login. */
	public static function mint_for_user( WP_User $user ): ?string {
		$secret = Goldcoin_Settings::jwt_secret();
		if ( ! $user->exists() || strlen( $secret ) < Goldcoin_Settings::MIN_SECRET_LEN ) {
			return null;
		}
		return Goldcoin_Jwt::encode( self::claims( $user, 0, time() ), $secret );
	}

	public static function claims( WP_User $user, int $post_id, int $now_s, string $scope = 'visitor' ): array {
		$allowed = self::SCOPES[ $scope ] ?? self::SCOPES['visitor'];
		$caps    = array_values( array_filter( $allowed, static fn ( string $cap ): bool => user_can( $user, $cap ) ) );
		$claims  = array(
			'iss'    => self::issuer(),
			'aud'    => self::AUDIENCE,
			'sub'    => (string) $user->ID,
			'iat'    => $now_s,
			'exp'    => $now_s + self::LIFETIME_S,
			'jti'    => wp_generate_uuid4(),
			'email'  => (string) $user->user_email,
			'name'   => (string) $user->display_name,
			'locale' => get_user_locale( $user ),
			'caps'   => $caps,
		);
		if ( $post_id > 0 ) {
			$claims['post'] = $post_id;
		}
		/** Filters the widget token's claims; identity, lifetime and audience are restored and caps can only shrink. */
		$filtered = apply_filters( 'goldcoin_token_claims', $claims, $user, $scope );
		return self::narrow( is_array( $filtered ) ? $filtered : $claims, $claims );
	}

	/** A filter may add claims or drop caps, never change who the token is for, for how long, or widen what it may do. */
	private static function narrow( array $filtered, array $original ): array {
		foreach ( array( 'iss', 'aud', 'sub', 'iat', 'exp', 'jti', 'post' ) as $fixed ) {
			unset( $filtered[ $fixed ] );
			if ( array_key_exists( $fixed, $original ) ) {
				$filtered[ $fixed ] = $original[ $fixed ];
			}
		}
		$asked              = is_array( $filtered['caps'] ?? null ) ? $filtered['caps'] : array();
		$filtered['caps']   = array_values( array_filter( $original['caps'], static fn ( string $cap ): bool => in_array( $cap, $asked, true ) ) );
		$filtered['email']  = is_string( $filtered['email'] ?? null ) ? $filtered['email'] : $original['email'];
		$filtered['name']   = is_string( $filtered['name'] ?? null ) ? $filtered['name'] : $original['name'];
		$filtered['locale'] = is_string( $filtered['locale'] ?? null ) ? $filtered['locale'] : $original['locale'];
		return $filtered;
	}
}
