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

	/** The issuer the sidecar pins (its WP_HOME): the home URL without a trailing slash. */
	public static function issuer(): string {
		return untrailingslashit( home_url() );
	}

	/** Returns null for a visitor who is not logged in or a site with no secret yet. */
	public static function mint_for_current_user( int $post_id = 0 ): ?string {
		$user = wp_get_current_user();
		if ( ! $user->exists() ) {
			return null;
		}
		$secret = Goldcoin_Settings::jwt_secret();
		if ( strlen( $secret ) < Goldcoin_Settings::MIN_SECRET_LEN ) {
			return null;
		}
		Goldcoin_Role_Grants::apply_pending( $user );
		return Goldcoin_Jwt::encode( self::claims( $user, $post_id, time() ), $secret );
	}

	public static function claims( WP_User $user, int $post_id, int $now_s ): array {
		$caps = array_values( array_filter( self::KNOWN_CAPS, static fn ( string $cap ): bool => user_can( $user, $cap ) ) );
		$claims = array(
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
		return $claims;
	}
}
