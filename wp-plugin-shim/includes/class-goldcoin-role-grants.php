<?php
/**
 * Roles earned by redeeming rewards: the sidecar records them, the plugin applies them to the
 * WordPress user when it next mints a token. Only roles without editing or admin powers are ever added.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Role_Grants {
	const TIMEOUT_S     = 2;
	const CHECK_EVERY_S = MINUTE_IN_SECONDS;
	const MAX_GRANTS    = 50;
	const SAFE_CAPS     = array( 'read', 'level_0' );

	public static function apply_pending( WP_User $user ): void {
		$sidecar = Goldcoin_Settings::sidecar_url();
		if ( '' === $sidecar ) {
			return;
		}
		// Checking on every page view would put a sidecar round trip in front of every render.
		$throttle = 'goldcoin_grants_checked_' . $user->ID;
		if ( false !== get_transient( $throttle ) ) {
			return;
		}
		set_transient( $throttle, 1, self::CHECK_EVERY_S );
		$token    = Goldcoin_Jwt::encode( Goldcoin_Tokens::claims( $user, 0, time() ), Goldcoin_Settings::jwt_secret() );
		$response = wp_remote_get(
			$sidecar . '/api/rewards/grants',
			array(
				'timeout' => self::TIMEOUT_S,
				'headers' => array( 'Authorization' => 'Bearer ' . $token ),
			)
		);
		if ( is_wp_error( $response ) || 200 !== wp_remote_retrieve_response_code( $response ) ) {
			return;
		}
		$body   = json_decode( wp_remote_retrieve_body( $response ), true );
		$grants = is_array( $body ) && is_array( $body['grants'] ?? null ) ? array_slice( $body['grants'], 0, self::MAX_GRANTS ) : array();
		foreach ( $grants as $grant ) {
			$role = is_array( $grant ) ? sanitize_key( (string) ( $grant['role'] ?? '' ) ) : '';
			if ( '' !== $role && self::is_safe_role( $role ) && ! in_array( $role, $user->roles, true ) ) {
				$user->add_role( $role );
			}
		}
	}

	/** A reward may make someone a VIP reader, never an author or an administrator. */
	private static function is_safe_role( string $role ): bool {
		$object = get_role( $role );
		if ( null === $object ) {
			return false;
		}
		$granted = array_keys( array_filter( $object->capabilities ) );
		return array() === array_diff( $granted, self::SAFE_CAPS );
	}
}
