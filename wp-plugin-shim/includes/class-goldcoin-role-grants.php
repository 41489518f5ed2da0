<?php
/**
 * Roles earned by redeeming rewards or held through a VIP membership: the sidecar records them, the plugin
 * applies them to the WordPress user when it next mints a token, and takes a VIP role away once the membership
 * has ended. Only roles without editing or admin powers are ever added.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Role_Grants {
	const TIMEOUT_S     = 2;
	const CHECK_EVERY_S = MINUTE_IN_SECONDS;
	const MAX_GRANTS    = 50;
	const SAFE_CAPS     = array( 'read', 'level_0' );
	/** The roles this plugin added for a membership: only those are ever removed, never one an admin gave. */
	const VIP_ROLES_META = 'goldcoin_vip_roles';

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
		$kept = array();
		foreach ( $grants as $grant ) {
			$role = is_array( $grant ) ? sanitize_key( (string) ( $grant['role'] ?? '' ) ) : '';
			if ( '' !== $role && self::is_safe_role( $role ) ) {
				$kept[] = $role;
				if ( ! in_array( $role, $user->roles, true ) ) {
					$user->add_role( $role );
				}
			}
		}
		$memberships = is_array( $body ) && is_array( $body['membership_roles'] ?? null ) ? array_slice( $body['membership_roles'], 0, self::MAX_GRANTS ) : array();
		self::apply_membership_roles( $user, $memberships, $kept );
	}

	/** Adds the running membership's role; removes a role it added once no running membership or reward holds it. */
	private static function apply_membership_roles( WP_User $user, array $memberships, array $kept ): void {
		$added  = array_filter( array_map( 'sanitize_key', (array) get_user_meta( $user->ID, self::VIP_ROLES_META, true ) ) );
		$active = array();
		foreach ( $memberships as $m ) {
			$role = is_array( $m ) ? sanitize_key( (string) ( $m['role'] ?? '' ) ) : '';
			if ( '' !== $role && true === ( $m['active'] ?? null ) && self::is_safe_role( $role ) ) {
				$active[] = $role;
				if ( ! in_array( $role, $user->roles, true ) ) {
					$user->add_role( $role );
					$added[] = $role;
				}
			}
		}
		foreach ( $added as $role ) {
			if ( ! in_array( $role, $active, true ) && ! in_array( $role, $kept, true ) && in_array( $role, $user->roles, true ) ) {
				$user->remove_role( $role );
			}
		}
		$still = array_values( array_unique( array_intersect( $added, $active ) ) );
		if ( array() === $still ) {
			delete_user_meta( $user->ID, self::VIP_ROLES_META );
		} else {
			update_user_meta( $user->ID, self::VIP_ROLES_META, $still );
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
