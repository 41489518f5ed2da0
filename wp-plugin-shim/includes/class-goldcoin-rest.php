<?php
/**
 * REST route the widget calls for a fresh token when its token expires: cookie authentication with
 * the wp_rest nonce (X-WP-Nonce), logged-in users only. An admin-scoped token also needs the admin
 * page's own nonce (in the refresh URL), so script on a visitor page cannot trade up to admin powers.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

final class Goldcoin_Rest {
	const NAMESPACE   = 'goldcoin/v1';
	const TOKEN_ROUTE = '/token';
	const ADMIN_NONCE = 'goldcoin_admin_token';

	public static function register(): void {
		add_action( 'rest_api_init', array( __CLASS__, 'routes' ) );
	}

	public static function routes(): void {
		register_rest_route(
			self::NAMESPACE,
			self::TOKEN_ROUTE,
			array(
				'methods'             => array( 'GET', 'POST' ),
				'callback'            => array( __CLASS__, 'token' ),
				'permission_callback' => static fn (): bool => is_user_logged_in(),
				'args'                => array(
					'post' => array(
						'type'              => 'integer',
						'minimum'           => 0,
						'default'           => 0,
						'sanitize_callback' => 'absint',
					),
					'scope' => array(
						'type'    => 'string',
						'enum'    => array_keys( Goldcoin_Tokens::SCOPES ),
						'default' => 'visitor',
					),
					'admin_nonce' => array(
						'type'              => 'string',
						'default'           => '',
						'sanitize_callback' => 'sanitize_key',
					),
				),
			)
		);
	}

	public static function token( WP_REST_Request $request ) {
		$post_id = (int) $request->get_param( 'post' );
		if ( $post_id > 0 && ! get_post( $post_id ) ) {
			$post_id = 0;
		}
		$scope = 'admin' === $request->get_param( 'scope' ) ? 'admin' : 'visitor';
		if ( 'admin' === $scope && ! wp_verify_nonce( (string) $request->get_param( 'admin_nonce' ), self::ADMIN_NONCE ) ) {
			return new WP_Error( 'goldcoin_forbidden', __( 'This token needs the Gold Coins admin page.', 'goldcoin' ), array( 'status' => 403 ) );
		}
		$token = Goldcoin_Tokens::mint_for_current_user( $post_id, $scope );
		if ( null === $token ) {
			return new WP_Error( 'goldcoin_not_configured', __( 'Gold Coins is not configured.', 'goldcoin' ), array( 'status' => 503 ) );
		}
		$response = new WP_REST_Response( array( 'token' => $token ) );
		$response->header( 'Cache-Control', 'no-store, private' );
		return $response;
	}
}
